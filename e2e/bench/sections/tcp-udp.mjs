/**
 * TCP (bulk throughput, new connections per second) and UDP (echo packets per second), per variant that
 * serves the protocol. The clients run on the load core; the origin is the Node socket origin.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runToEnd, stopProcess, usage } from '../lib/processes.mjs';
import { summarize } from '../lib/stats.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));

async function tool(ctx, script, args, seconds) {
  const out = await runToEnd(script, process.execPath, [path.join(here, '../load', script), ...args], {
    cpu: ctx.loadCpu,
    timeoutMs: (seconds + 30) * 1000,
  });
  return JSON.parse(out.trim().split('\n').pop() ?? '{}');
}

async function eachVariant(ctx, variants, protocol, measure) {
  const out = [];
  for (const variant of variants.filter((v) => v.protocols.includes(protocol))) {
    const about = { id: variant.id, kind: variant.kind, runtime: variant.runtime, label: variant.label };
    if (variant.pending) {
      out.push({ ...about, pending: variant.pending });
      continue;
    }
    ctx.log(`${protocol}: ${variant.label}`);
    let started;
    try {
      started = await variant.start(ctx);
      const result = await measure(started.ports);
      out.push({
        ...about,
        ...result,
        rssMiB: started.proc ? usage(started.proc.pid).rssBytes / 2 ** 20 : Number.NaN,
      });
    } catch (error) {
      ctx.log(`${protocol}: ${variant.label} failed: ${error.message}`);
      out.push({ ...about, error: String(error.message).split('\n')[0] });
    } finally {
      await stopProcess(started?.proc);
    }
  }
  return out;
}

export function tcpSection(ctx, variants) {
  const { settings } = ctx;
  return eachVariant(ctx, variants, 'tcp', async (ports) => {
    await tool(ctx, 'tcp-load.mjs', ['bulk', String(ports.bulk), String(settings.bulkBytes / 4)], 30);
    const bulk = [];
    for (let run = 0; run < settings.runs; run++) {
      const r = await tool(ctx, 'tcp-load.mjs', ['bulk', String(ports.bulk), String(settings.bulkBytes)], 60);
      bulk.push(r.bytes >= settings.bulkBytes ? (r.bytesPerSecond * 8) / 1e9 : Number.NaN);
    }
    const connect = [];
    let failed = 0;
    for (let run = 0; run < settings.runs; run++) {
      const r = await tool(
        ctx,
        'tcp-load.mjs',
        ['connect', String(ports.greeter), String(settings.connectSeconds), '16'],
        settings.connectSeconds,
      );
      connect.push(r.perSecond);
      failed += r.failed;
    }
    return { bulkGbps: summarize(bulk), connectionsPerSecond: summarize(connect), connectFailed: failed };
  });
}

export function udpSection(ctx, variants) {
  const { settings } = ctx;
  return eachVariant(ctx, variants, 'udp', async (ports) => {
    await tool(ctx, 'udp-load.mjs', [String(ports.udp), '1', '4', '32'], 1);
    const pps = [];
    let lost = 0;
    for (let run = 0; run < settings.runs; run++) {
      const r = await tool(
        ctx,
        'udp-load.mjs',
        [String(ports.udp), String(settings.udpSeconds), '4', '32'],
        settings.udpSeconds,
      );
      pps.push(r.perSecond);
      lost += r.lost;
    }
    return { packetsPerSecond: summarize(pps), lost };
  });
}
