/**
 * DNS: the mesh DNS server against unbound (one thread, local-data), both serving the same `names` and
 * asked the same query file by dnsperf, with a bare node:dgram reflector beside them (each query echoed as
 * its own answer: the floor of any DNS server in Node.js). The Node ones run on each runtime. Max queries/s
 * with dnsperf flat out; latency percentiles from dnsperf's per-query verbose output at a fixed rate (its
 * summary has only mean and max). Rounds interleaved, as for HTTP.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { unboundConfig } from '../lib/configs.mjs';
import { meshRecords, queryFile } from '../lib/dns-names.mjs';
import { interleavedRounds, medianRssMiB } from '../lib/interleaved.mjs';
import { freePort, runToEnd, startProcess, waitForOutput, waitForPort } from '../lib/processes.mjs';
import { majorOf } from '../lib/runtimes.mjs';
import { latencyProfile, summarize } from '../lib/stats.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));

/** dnsperf's summary: queries/s, completed and lost. */
export function parseDnsperf(text) {
  return {
    qps: Number(text.match(/Queries per second:\s+([\d.]+)/)?.[1] ?? Number.NaN),
    completed: Number(text.match(/Queries completed:\s+(\d+)/)?.[1] ?? Number.NaN),
    lost: Number(text.match(/Queries lost:\s+(\d+)/)?.[1] ?? Number.NaN),
  };
}

/** Latencies (ms) and rcodes of dnsperf -v lines: `> NOERROR name A 0.000170`. */
export function parseDnsperfVerbose(text) {
  const latencies = [];
  let notNoerror = 0;
  for (const match of text.matchAll(/^> (\S+) \S+ \S+ ([\d.]+)$/gm)) {
    latencies.push(Number(match[2]) * 1000);
    if (match[1] !== 'NOERROR') notNoerror++;
  }
  return { latencies, notNoerror };
}

async function startMeshDns(ctx, names, bin = process.execPath) {
  const proc = startProcess(
    'mesh dns',
    bin,
    [path.join(here, '../servers/mesh-dns-target.mjs'), String(names)],
    {
      cpu: ctx.sutCpu,
    },
  );
  const match = await waitForOutput(proc, /MESHDNS (\{.*\})/, 60_000);
  return { port: JSON.parse(match[1] ?? '{}').port, proc };
}

async function startReflector(ctx, _names, bin = process.execPath) {
  const proc = startProcess('dgram reflector', bin, [path.join(here, '../servers/dns-reflector.mjs')], {
    cpu: ctx.sutCpu,
  });
  const match = await waitForOutput(proc, /REFLECTOR (\{.*\})/);
  return { port: JSON.parse(match[1] ?? '{}').port, proc };
}

async function startUnbound(ctx, names) {
  const dir = path.join(ctx.tmp, 'unbound');
  mkdirSync(dir, { recursive: true });
  const port = await freePort();
  const file = path.join(dir, 'unbound.conf');
  writeFileSync(file, unboundConfig({ dir, port, records: meshRecords(names) }));
  const proc = startProcess('unbound', '/usr/sbin/unbound', ['-d', '-c', file], { cpu: ctx.sutCpu });
  await waitForPort(port, proc, 60_000);
  return { port, proc };
}

export async function dnsSection(ctx, runtimes) {
  const { settings } = ctx;
  const names = settings.dnsNames;
  const queries = path.join(ctx.tmp, 'queries.txt');
  writeFileSync(queries, queryFile(names));
  const dnsperf = (port, extra, seconds, maxOutput) =>
    runToEnd(
      'dnsperf',
      '/usr/bin/dnsperf',
      ['-s', '127.0.0.1', '-p', String(port), '-d', queries, '-l', String(seconds), ...extra],
      {
        cpu: ctx.loadCpu,
        timeoutMs: (seconds + 30) * 1000,
        maxOutput,
      },
    );
  const servers = [
    ...runtimes.flatMap((runtime) => {
      const on = `Node ${majorOf(runtime.version)}`;
      const pending = runtime.bin === undefined ? `${on} not available (${runtime.missing})` : undefined;
      return [
        {
          id: `mesh-dns@${runtime.id}`,
          kind: 'mesh-dns',
          runtime: runtime.id,
          label: `mesh DNS server, ${on}`,
          pending,
          start: (c, n) => startMeshDns(c, n, runtime.bin),
        },
        {
          id: `reflector@${runtime.id}`,
          kind: 'reflector',
          runtime: runtime.id,
          label: `bare dgram reflector, ${on}`,
          pending,
          start: (c, n) => startReflector(c, n, runtime.bin),
        },
      ];
    }),
    { id: 'unbound', kind: 'unbound', label: 'unbound, 1 thread', start: startUnbound },
  ];
  // Rounds interleaved (lib/interleaved.mjs): each round starts every server afresh, warms it up, then one
  // flat-out run and one run at the fixed rate.
  const variants = servers.map((server) => ({
    ...server,
    protocols: ['dns'],
    start: (c) => server.start(c, names),
  }));
  const results = await interleavedRounds(ctx, variants, 'dns', async ({ port }) => {
    await dnsperf(port, ['-c', '4', '-q', '200'], settings.warmupSeconds);
    const max = parseDnsperf(await dnsperf(port, ['-c', '4', '-q', '200'], settings.dnsSeconds));
    const text = await dnsperf(
      port,
      ['-Q', String(settings.dnsRate), '-v'],
      settings.dnsSeconds,
      64 * 2 ** 20,
    );
    const parsed = parseDnsperfVerbose(text);
    return { max, latency: latencyProfile(parsed.latencies), notNoerror: parsed.notNoerror };
  });
  const out = results.map(({ rounds, rssBytes, ...about }) =>
    rounds === undefined
      ? about
      : {
          ...about,
          qps: summarize(rounds.map((r) => r.max.qps)),
          lost: rounds.reduce((sum, r) => sum + r.max.lost, 0),
          p50: summarize(rounds.map((r) => r.latency.p50)),
          p99: summarize(rounds.map((r) => r.latency.p99)),
          notNoerror: rounds.reduce((sum, r) => sum + r.notNoerror, 0),
          rssMiB: medianRssMiB(rssBytes),
        },
  );
  return { names, rate: settings.dnsRate, servers: out };
}
