#!/usr/bin/env node
/**
 * `pnpm bench`: the Nodemesh benchmark suite. Measures the node-proxy data plane (HTTP, TCP, UDP) on the
 * machine's Node and on Node 24, beside the bare node:http + undici pass-through, nginx, haproxy, unbound
 * and a bare dgram reflector in the same run; one worker against two; memory at rest; control-plane scale;
 * and how fast a change at the API server reaches the proxy (convergence). Writes markdown, JSON and SVG
 * charts under e2e/bench/results/. See docs/benchmarks.md.
 *
 *   node e2e/bench/run.mjs [--quick | --smoke] [--only=http,tcp,udp,dns,cores,mtls,memory,scale,convergence]
 *
 * Loopback only; every process it starts is pinned with taskset and stopped by PID, also on Ctrl-C.
 * Targets are reported with their gap; a missed target never fails the run.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describeMachine } from './lib/machine.mjs';
import { ensureTools } from './lib/preflight.mjs';
import { killAllNow, stopAll, stopProcess } from './lib/processes.mjs';
import { renderReport, renderSummary, replaceLatest } from './lib/report.mjs';
import { benchRuntimes } from './lib/runtimes.mjs';
import { renderLatencyChart } from './lib/svg.mjs';
import { convergenceSection } from './sections/convergence.mjs';
import { coresSection } from './sections/cores.mjs';
import { dnsSection } from './sections/dns.mjs';
import { httpSection } from './sections/http.mjs';
import { memorySection } from './sections/memory.mjs';
import { mtlsSection } from './sections/mtls.mjs';
import { scaleSection } from './sections/scale.mjs';
import { tcpSection, udpSection } from './sections/tcp-udp.mjs';
import { coreVariants, dataPlaneVariants, startOriginNginx, startOriginSockets } from './variants.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const SECTIONS = ['http', 'tcp', 'udp', 'dns', 'cores', 'mtls', 'memory', 'scale', 'convergence'];

/** Durations and sizes; full mode stays well under 30 minutes, quick mode around 2–3. */
export const SETTINGS = {
  full: {
    runs: 3,
    warmupSeconds: 3,
    maxSeconds: 8,
    rates: [1000, 5000],
    rateSeconds: 8,
    wrkConnections: 50,
    pacedConnections: 16,
    heldConnections: 1000,
    idleSeconds: 5,
    bulkBytes: 256 * 2 ** 20,
    connectSeconds: 5,
    udpSeconds: 5,
    dnsNames: 10_000,
    dnsSeconds: 8,
    dnsRate: 2000,
    scaleSizes: [1000, 10_000],
    incrementalUpdates: 20,
    convergenceChanges: 100,
    readinessChanges: 100,
    convergenceTimeoutMs: 5000,
  },
  /** Just enough to see every piece run (development only: the figures mean nothing). */
  smoke: {
    runs: 1,
    warmupSeconds: 1,
    maxSeconds: 1,
    rates: [1000],
    rateSeconds: 1,
    wrkConnections: 16,
    pacedConnections: 8,
    heldConnections: 100,
    idleSeconds: 1,
    bulkBytes: 8 * 2 ** 20,
    connectSeconds: 1,
    udpSeconds: 1,
    dnsNames: 1000,
    dnsSeconds: 1,
    dnsRate: 500,
    scaleSizes: [1000],
    incrementalUpdates: 3,
    convergenceChanges: 3,
    readinessChanges: 3,
    convergenceTimeoutMs: 5000,
  },
  quick: {
    runs: 1,
    warmupSeconds: 1,
    maxSeconds: 3,
    rates: [1000, 5000],
    rateSeconds: 3,
    wrkConnections: 50,
    pacedConnections: 16,
    heldConnections: 1000,
    idleSeconds: 2,
    bulkBytes: 128 * 2 ** 20,
    connectSeconds: 2,
    udpSeconds: 2,
    dnsNames: 10_000,
    dnsSeconds: 3,
    dnsRate: 2000,
    scaleSizes: [1000, 10_000],
    incrementalUpdates: 10,
    convergenceChanges: 20,
    readinessChanges: 20,
    convergenceTimeoutMs: 5000,
  },
};

const args = process.argv.slice(2);
const smoke = args.includes('--smoke');
const quick = smoke || args.includes('--quick');
const only =
  args
    .find((a) => a.startsWith('--only='))
    ?.slice(7)
    .split(',') ?? SECTIONS;
const unknown = only.filter((s) => !SECTIONS.includes(s));
if (unknown.length > 0 || args.some((a) => a !== '--quick' && a !== '--smoke' && !a.startsWith('--only='))) {
  process.stderr.write(`usage: run.mjs [--quick | --smoke] [--only=${SECTIONS.join(',')}]\n`);
  process.exit(2);
}

const log = (message) =>
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
const tmp = mkdtempSync(path.join(os.tmpdir(), 'nodemesh-bench-'));
const cleanUp = () => {
  killAllNow();
  rmSync(tmp, { recursive: true, force: true });
};
process.on('exit', cleanUp);
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    log(`${signal}: stopping everything the bench started`);
    stopAll({ final: true }).finally(() => process.exit(130));
  });
}

if (!existsSync(path.join(here, '../../packages/node-proxy/dist/index.js'))) {
  log('the packages are not built: run `pnpm build` first (`pnpm bench` does)');
  process.exit(1);
}
const cpus = os.cpus().length;
const settings = {
  ...(smoke ? SETTINGS.smoke : quick ? SETTINGS.quick : SETTINGS.full),
  loadCpu: 0,
  sutCpu: cpus > 1 ? 1 : 0,
  allCpus: cpus > 1 ? '0,1' : '0',
  bodyBytes: 37,
};
const missing = ensureTools(log);
const needs = {
  http: ['wrk', 'nginx', 'haproxy'],
  tcp: ['haproxy'],
  udp: [],
  dns: ['dnsperf', 'unbound'],
  cores: ['wrk', 'nginx'],
  mtls: ['wrk', 'nginx', 'openssl'],
  memory: [],
  scale: [],
  convergence: [],
};
const sections = only.filter((s) => {
  const lacking = needs[s].filter((tool) => missing.includes(tool));
  if (lacking.length > 0) log(`skipping ${s}: missing ${lacking.join(', ')}`);
  return lacking.length === 0;
});

const results = {
  startedAt: new Date().toISOString(),
  finishedAt: '',
  mode: smoke ? 'smoke' : quick ? 'quick' : 'full',
  machine: describeMachine(),
  settings,
  sections,
};
const ctx = {
  settings,
  tmp,
  log,
  loadCpu: settings.loadCpu,
  sutCpu: settings.sutCpu,
  allCpus: settings.allCpus,
  origin: {},
};
/** The 1-minute load average before each section: other work on the machine skews every figure. */
results.loadAverages = {};
const section = async (name, work) => {
  results.loadAverages[name] = Math.round(os.loadavg()[0] * 100) / 100;
  results[name] = await work();
};
const started = performance.now();

try {
  // The machine's Node and Node 24 (installed into e2e/bench/.cache by npm when missing).
  const runtimes = sections.some((s) => s !== 'scale' && s !== 'convergence') ? benchRuntimes(log) : [];
  results.runtimes = runtimes.map(({ id, version, missing }) => ({ id, version, missing }));
  const variants = await dataPlaneVariants(runtimes);
  if (sections.some((s) => ['http', 'tcp', 'udp', 'cores', 'mtls'].includes(s))) {
    const http = sections.some((s) => s === 'http' || s === 'cores' || s === 'mtls')
      ? await startOriginNginx(ctx)
      : undefined;
    const sockets = await startOriginSockets(ctx, settings.bulkBytes);
    ctx.origin = { http: http?.port, ...sockets.ports };
    try {
      if (sections.includes('http')) await section('http', () => httpSection(ctx, variants));
      if (sections.includes('tcp')) await section('tcp', () => tcpSection(ctx, variants));
      if (sections.includes('udp')) await section('udp', () => udpSection(ctx, variants));
      if (sections.includes('cores'))
        await section('cores', () => coresSection(ctx, coreVariants(runtimes, settings)));
      if (sections.includes('mtls')) await section('mtls', () => mtlsSection(ctx, runtimes));
    } finally {
      await stopProcess(http?.proc);
      await stopProcess(sockets.proc);
    }
  }
  if (sections.includes('dns')) await section('dns', () => dnsSection(ctx, runtimes));
  if (sections.includes('memory')) await section('memory', () => memorySection(ctx, runtimes));
  if (sections.includes('scale')) await section('scale', () => scaleSection(ctx));
  if (sections.includes('convergence')) await section('convergence', () => convergenceSection(ctx));
} finally {
  await stopAll();
}

results.finishedAt = new Date().toISOString();
results.durationSeconds = Math.round((performance.now() - started) / 1000);
writeResults(results);

function writeResults(res) {
  const root = path.join(here, 'results');
  const stamp = res.startedAt.replaceAll(':', '-').replace(/\.\d+Z$/, 'Z');
  const runDir = quick ? path.join(root, res.mode) : path.join(root, stamp);
  mkdirSync(runDir, { recursive: true });
  const charts = (res.settings.rates ?? []).map((rate) => ({
    file: `latency-${rate}rps.svg`,
    svg: renderLatencyChart({
      title: `HTTP latency by percentile at ${rate} req/s`,
      subtitle: `${res.mode} run ${res.startedAt}, median of ${res.settings.runs} run(s); ${res.machine.cpuModel}`,
      series: (res.http ?? [])
        .filter((v) => v.rates?.[rate])
        .map((v) => ({ name: v.label, curve: v.rates[rate].curve })),
    }),
  }));
  const json = `${JSON.stringify(res, null, 2)}\n`;
  writeFileSync(path.join(runDir, 'results.json'), json);
  writeFileSync(path.join(runDir, 'results.md'), renderReport(res));
  for (const chart of charts) writeFileSync(path.join(runDir, chart.file), chart.svg);
  if (!quick) {
    writeFileSync(path.join(root, 'latest.json'), json);
    writeFileSync(path.join(root, 'latest.md'), renderReport(res, { chartPrefix: `${stamp}/` }));
    const docs = path.join(here, '../../docs/benchmarks.md');
    if (existsSync(docs)) {
      writeFileSync(docs, replaceLatest(readFileSync(docs, 'utf8'), renderSummary(res)));
      // The project's formatter owns the markdown layout (table padding); without it `pnpm lint` would flag it.
      const biome = path.join(here, '../../node_modules/.bin/biome');
      if (existsSync(biome))
        spawnSync(biome, ['format', '--write', docs], { stdio: 'ignore', timeout: 30_000 });
    }
  }
  log(`done in ${res.durationSeconds} s: ${path.relative(process.cwd(), path.join(runDir, 'results.md'))}`);
}
