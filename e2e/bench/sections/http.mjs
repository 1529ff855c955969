/**
 * HTTP data plane: per variant, max requests/s with wrk flat out (closed loop, keep-alive), the CPU the
 * system under test spent per request, its RSS, and latency at fixed rates with wrk paced by
 * load/paced.lua (a C generator that keeps its schedule on a busy core).
 */
import { stopProcess, usage } from '../lib/processes.mjs';
import { medianCurve, summarize } from '../lib/stats.mjs';
import { wrkMax, wrkPaced } from '../lib/wrk.mjs';

export const HOST = 'echo.bench.mesh';

/** CPU seconds the SUT spent while `work` ran; NaN without a SUT process. */
export async function measuredCpu(proc, work) {
  const before = proc ? usage(proc.pid).cpuSeconds : Number.NaN;
  const result = await work();
  const after = proc ? usage(proc.pid).cpuSeconds : Number.NaN;
  return { result, cpuSeconds: after - before };
}

/** Max requests/s (median of runs) and vCPU per 1000 requests at max, after a warm-up. */
export async function maxThroughput(ctx, port, proc) {
  const { settings } = ctx;
  const flatOut = (seconds) =>
    wrkMax(ctx, { port, host: HOST, seconds, connections: settings.wrkConnections });
  await flatOut(settings.warmupSeconds);
  const max = [];
  for (let run = 0; run < settings.runs; run++) {
    const { result, cpuSeconds } = await measuredCpu(proc, () => flatOut(settings.maxSeconds));
    max.push({ ...result, vcpuPer1000: cpuSeconds / (result.requests / 1000) });
  }
  return {
    maxRps: summarize(max.map((m) => m.rps)),
    vcpuPer1000AtMax: summarize(max.map((m) => m.vcpuPer1000)),
    errorsAtMax: max.reduce((sum, m) => sum + m.errors, 0),
  };
}

export async function httpSection(ctx, variants) {
  const { settings } = ctx;
  const out = [];
  for (const variant of variants.filter((v) => v.protocols.includes('http'))) {
    const about = { id: variant.id, kind: variant.kind, runtime: variant.runtime, label: variant.label };
    if (variant.pending) {
      out.push({ ...about, pending: variant.pending });
      continue;
    }
    ctx.log(`http: ${variant.label}`);
    let started;
    try {
      started = await variant.start(ctx);
      const port = started.ports.http;
      const proc = started.proc;
      const max = await maxThroughput(ctx, port, proc);
      const rssBytes = proc ? usage(proc.pid).rssBytes : Number.NaN;
      const rates = {};
      for (const rate of settings.rates) {
        const runs = [];
        for (let run = 0; run < settings.runs; run++) {
          const { result, cpuSeconds } = await measuredCpu(proc, () =>
            wrkPaced(ctx, {
              port,
              host: HOST,
              rate,
              seconds: settings.rateSeconds,
              connections: settings.pacedConnections,
            }),
          );
          runs.push({ ...result, vcpuPer1000: cpuSeconds / (result.requests / 1000) });
        }
        rates[rate] = {
          p50: summarize(runs.map((r) => r.latency.p50)),
          p99: summarize(runs.map((r) => r.latency.p99)),
          p999: summarize(runs.map((r) => r.latency.p999)),
          vcpuPer1000: summarize(runs.map((r) => r.vcpuPer1000)),
          failed: runs.reduce((sum, r) => sum + r.errors, 0),
          late: runs.reduce((sum, r) => sum + r.late, 0),
          scheduled: runs.reduce((sum, r) => sum + r.paced, 0),
          curve: medianCurve(runs.map((r) => r.latency.curve)),
        };
      }
      out.push({ ...about, ...max, rssMiB: rssBytes / 2 ** 20, rates });
    } catch (error) {
      ctx.log(`http: ${variant.label} failed: ${error.message}`);
      out.push({ ...about, error: String(error.message).split('\n')[0] });
    } finally {
      await stopProcess(started?.proc);
    }
  }
  return out;
}
