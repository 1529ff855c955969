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

/**
 * Every variant once per round, rounds interleaved: this machine's speed drifts over minutes, so a variant
 * measured in one block and its baseline in another would compare two machines. Each round starts the variant
 * afresh, warms it up, measures max req/s, then each fixed rate once.
 */
export async function httpSection(ctx, variants) {
  const { settings } = ctx;
  const measured = variants.filter((v) => v.protocols.includes('http') && !v.pending);
  const runs = new Map(measured.map((v) => [v.id, { max: [], rates: {}, rss: [], error: undefined }]));
  for (let round = 0; round < settings.runs; round++) {
    for (const variant of measured) {
      const record = runs.get(variant.id);
      if (record.error !== undefined) continue;
      ctx.log(`http: ${variant.label} (round ${round + 1} of ${settings.runs})`);
      let started;
      try {
        started = await variant.start(ctx);
        await oneRound(ctx, started, record);
      } catch (error) {
        ctx.log(`http: ${variant.label} failed: ${error.message}`);
        record.error = String(error.message).split('\n')[0];
      } finally {
        await stopProcess(started?.proc);
      }
    }
  }
  return variants
    .filter((v) => v.protocols.includes('http'))
    .map((variant) => {
      const about = { id: variant.id, kind: variant.kind, runtime: variant.runtime, label: variant.label };
      if (variant.pending) return { ...about, pending: variant.pending };
      const record = runs.get(variant.id);
      if (record.error !== undefined) return { ...about, error: record.error };
      const rates = {};
      for (const [rate, rateRuns] of Object.entries(record.rates)) {
        rates[rate] = {
          p50: summarize(rateRuns.map((r) => r.latency.p50)),
          p99: summarize(rateRuns.map((r) => r.latency.p99)),
          p999: summarize(rateRuns.map((r) => r.latency.p999)),
          vcpuPer1000: summarize(rateRuns.map((r) => r.vcpuPer1000)),
          failed: rateRuns.reduce((sum, r) => sum + r.errors, 0),
          late: rateRuns.reduce((sum, r) => sum + r.late, 0),
          scheduled: rateRuns.reduce((sum, r) => sum + r.paced, 0),
          curve: medianCurve(rateRuns.map((r) => r.latency.curve)),
        };
      }
      const rss = record.rss.filter((r) => Number.isFinite(r));
      return {
        ...about,
        maxRps: summarize(record.max.map((m) => m.rps)),
        vcpuPer1000AtMax: summarize(record.max.map((m) => m.vcpuPer1000)),
        errorsAtMax: record.max.reduce((sum, m) => sum + m.errors, 0),
        rssMiB: rss.length === 0 ? Number.NaN : summarize(rss).median / 2 ** 20,
        rates,
      };
    });
}

/** One round of one started variant: warm-up, max req/s with its CPU, then each fixed rate once. */
async function oneRound(ctx, started, record) {
  const { settings } = ctx;
  const port = started.ports.http;
  const proc = started.proc;
  const flatOut = (seconds) =>
    wrkMax(ctx, { port, host: HOST, seconds, connections: settings.wrkConnections });
  await flatOut(settings.warmupSeconds);
  const { result, cpuSeconds } = await measuredCpu(proc, () => flatOut(settings.maxSeconds));
  record.max.push({ ...result, vcpuPer1000: cpuSeconds / (result.requests / 1000) });
  record.rss.push(proc ? usage(proc.pid).rssBytes : Number.NaN);
  for (const rate of settings.rates) {
    const paced = await measuredCpu(proc, () =>
      wrkPaced(ctx, {
        port,
        host: HOST,
        rate,
        seconds: settings.rateSeconds,
        connections: settings.pacedConnections,
      }),
    );
    record.rates[rate] ??= [];
    record.rates[rate].push({
      ...paced.result,
      vcpuPer1000: paced.cpuSeconds / (paced.result.requests / 1000),
    });
  }
}
