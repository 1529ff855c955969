/**
 * HTTP data plane: per variant, max requests/s with wrk (closed loop, keep-alive), the CPU the system under
 * test spent per request, its RSS, and latency at fixed rates with the open-loop generator.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runToEnd, stopProcess, usage } from '../lib/processes.mjs';
import { medianCurve, summarize } from '../lib/stats.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const HOST = 'echo.bench.mesh';

/** Parses wrk's summary: requests/s, total requests and errors (socket errors and non-2xx/3xx). */
export function parseWrk(text) {
  const rps = Number(text.match(/Requests\/sec:\s+([\d.]+)/)?.[1] ?? Number.NaN);
  const requests = Number(text.match(/(\d+) requests in/)?.[1] ?? Number.NaN);
  const non2xx = Number(text.match(/Non-2xx or 3xx responses:\s+(\d+)/)?.[1] ?? 0);
  const socket = text.match(/Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/);
  const socketErrors = socket ? socket.slice(1).reduce((sum, n) => sum + Number(n), 0) : 0;
  return { rps, requests, errors: non2xx + socketErrors };
}

async function wrk(ctx, port, seconds) {
  const out = await runToEnd(
    'wrk',
    '/usr/bin/wrk',
    [
      '-t1',
      `-c${ctx.settings.wrkConnections}`,
      `-d${seconds}s`,
      '-H',
      `Host: ${HOST}`,
      `http://127.0.0.1:${port}/`,
    ],
    { cpu: ctx.loadCpu, timeoutMs: (seconds + 20) * 1000 },
  );
  return parseWrk(out);
}

async function openLoop(ctx, port, rate, seconds) {
  const out = await runToEnd(
    'open-loop',
    process.execPath,
    [
      path.join(here, '../load/open-loop.mjs'),
      `http://127.0.0.1:${port}/`,
      HOST,
      String(rate),
      String(seconds),
      '64',
    ],
    { cpu: ctx.loadCpu, timeoutMs: (seconds + 20) * 1000 },
  );
  return JSON.parse(out.trim().split('\n').pop() ?? '{}');
}

/** CPU seconds the SUT spent while `work` ran; NaN without a SUT process. */
async function measuredCpu(proc, work) {
  const before = proc ? usage(proc.pid).cpuSeconds : Number.NaN;
  const result = await work();
  const after = proc ? usage(proc.pid).cpuSeconds : Number.NaN;
  return { result, cpuSeconds: after - before };
}

export async function httpSection(ctx, variants) {
  const { settings } = ctx;
  const out = [];
  for (const variant of variants.filter((v) => v.protocols.includes('http'))) {
    if (variant.pending) {
      out.push({ id: variant.id, label: variant.label, pending: variant.pending });
      continue;
    }
    ctx.log(`http: ${variant.label}`);
    let started;
    try {
      started = await variant.start(ctx);
      const port = started.ports.http;
      const proc = started.proc;
      await wrk(ctx, port, settings.warmupSeconds);
      const max = [];
      for (let run = 0; run < settings.runs; run++) {
        const { result, cpuSeconds } = await measuredCpu(proc, () => wrk(ctx, port, settings.maxSeconds));
        max.push({ ...result, vcpuPer1000: cpuSeconds / (result.requests / 1000) });
      }
      const rssBytes = proc ? usage(proc.pid).rssBytes : Number.NaN;
      const rates = {};
      for (const rate of settings.rates) {
        const runs = [];
        for (let run = 0; run < settings.runs; run++) {
          const { result, cpuSeconds } = await measuredCpu(proc, () =>
            openLoop(ctx, port, rate, settings.rateSeconds),
          );
          runs.push({ ...result, vcpuPer1000: cpuSeconds / (result.ok / 1000) });
        }
        rates[rate] = {
          p50: summarize(runs.map((r) => r.latency.p50)),
          p99: summarize(runs.map((r) => r.latency.p99)),
          p999: summarize(runs.map((r) => r.latency.p999)),
          vcpuPer1000: summarize(runs.map((r) => r.vcpuPer1000)),
          failed: runs.reduce((sum, r) => sum + r.failed, 0),
          late: runs.reduce((sum, r) => sum + r.late, 0),
          scheduled: runs.reduce((sum, r) => sum + r.scheduled, 0),
          curve: medianCurve(runs.map((r) => r.latency.curve)),
        };
      }
      out.push({
        id: variant.id,
        label: variant.label,
        maxRps: summarize(max.map((m) => m.rps)),
        vcpuPer1000AtMax: summarize(max.map((m) => m.vcpuPer1000)),
        errorsAtMax: max.reduce((sum, m) => sum + m.errors, 0),
        rssMiB: rssBytes / 2 ** 20,
        rates,
      });
    } catch (error) {
      ctx.log(`http: ${variant.label} failed: ${error.message}`);
      out.push({ id: variant.id, label: variant.label, error: String(error.message).split('\n')[0] });
    } finally {
      await stopProcess(started?.proc);
    }
  }
  return out;
}
