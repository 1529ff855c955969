/**
 * HTTP data plane: per variant, max requests/s with wrk flat out (closed loop, keep-alive), the CPU the
 * system under test spent per request, its RSS, and latency at fixed rates with wrk paced by
 * load/paced.lua (a C generator that keeps its schedule on a busy core).
 */
import { interleavedRounds, medianRssMiB } from '../lib/interleaved.mjs';
import { usage } from '../lib/processes.mjs';
import { medianCurve, summarize } from '../lib/stats.mjs';
import { wrkMax, wrkPaced } from '../lib/wrk.mjs';

export const HOST = 'echo.bench.mesh';

/** CPU seconds the SUT spent while `work` ran, in all and in user space; NaN without a SUT process. */
export async function measuredCpu(proc, work) {
  const before = proc ? usage(proc.pid) : undefined;
  const result = await work();
  const after = proc ? usage(proc.pid) : undefined;
  if (before === undefined || after === undefined) {
    return { result, cpuSeconds: Number.NaN, userSeconds: Number.NaN };
  }
  return {
    result,
    cpuSeconds: after.cpuSeconds - before.cpuSeconds,
    userSeconds: after.userSeconds - before.userSeconds,
  };
}

/** What one measured run cost per request: all CPU (per 1000 requests), and µs in user space and in the kernel. */
function perRequest({ result, cpuSeconds, userSeconds }) {
  const requests = result.requests;
  return {
    vcpuPer1000: cpuSeconds / (requests / 1000),
    userUs: (userSeconds / requests) * 1e6,
    systemUs: ((cpuSeconds - userSeconds) / requests) * 1e6,
  };
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
 * Every variant once per round, rounds interleaved (lib/interleaved.mjs): each round starts the variant
 * afresh, warms it up, measures max req/s, then each fixed rate once.
 */
export async function httpSection(ctx, variants) {
  const results = await interleavedRounds(ctx, variants, 'http', (started) => oneRound(ctx, started));
  return results.map(({ rounds, rssBytes, ...about }) => {
    if (rounds === undefined) return about;
    const rates = {};
    for (const rate of ctx.settings.rates) {
      const rateRuns = rounds.map((r) => r.rates[rate]);
      rates[rate] = {
        p50: summarize(rateRuns.map((r) => r.latency.p50)),
        p99: summarize(rateRuns.map((r) => r.latency.p99)),
        p999: summarize(rateRuns.map((r) => r.latency.p999)),
        vcpuPer1000: summarize(rateRuns.map((r) => r.vcpuPer1000)),
        userUs: summarize(rateRuns.map((r) => r.userUs)),
        systemUs: summarize(rateRuns.map((r) => r.systemUs)),
        failed: rateRuns.reduce((sum, r) => sum + r.errors, 0),
        late: rateRuns.reduce((sum, r) => sum + r.late, 0),
        scheduled: rateRuns.reduce((sum, r) => sum + r.paced, 0),
        curve: medianCurve(rateRuns.map((r) => r.latency.curve)),
      };
    }
    return {
      ...about,
      maxRps: summarize(rounds.map((r) => r.max.rps)),
      vcpuPer1000AtMax: summarize(rounds.map((r) => r.max.vcpuPer1000)),
      userUsAtMax: summarize(rounds.map((r) => r.max.userUs)),
      systemUsAtMax: summarize(rounds.map((r) => r.max.systemUs)),
      errorsAtMax: rounds.reduce((sum, r) => sum + r.max.errors, 0),
      rssMiB: medianRssMiB(rssBytes),
      rates,
    };
  });
}

/** One round of one started variant: warm-up, max req/s with its CPU, then each fixed rate once. */
async function oneRound(ctx, started) {
  const { settings } = ctx;
  const port = started.ports.http;
  const proc = started.proc;
  const flatOut = (seconds) =>
    wrkMax(ctx, { port, host: HOST, seconds, connections: settings.wrkConnections });
  await flatOut(settings.warmupSeconds);
  const max = await measuredCpu(proc, () => flatOut(settings.maxSeconds));
  const round = { max: { ...max.result, ...perRequest(max) }, rates: {} };
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
    round.rates[rate] = { ...paced.result, ...perRequest(paced) };
  }
  return round;
}
