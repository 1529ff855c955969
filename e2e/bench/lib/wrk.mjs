/**
 * wrk, the C load generator, in the two ways the bench drives it: flat out (closed loop, keep-alive
 * connections) for the most requests per second, and paced (load/paced.lua) for latency at a fixed rate.
 * The parsers are pure; the runners pin wrk to the load core.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runToEnd } from './processes.mjs';
import { CURVE_PERCENTILES } from './stats.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
export const WRK = '/usr/bin/wrk';
const PACED_SCRIPT = path.join(here, '../load/paced.lua');

/** wrk's summary: requests/s, total requests and errors (socket errors and non-2xx/3xx). */
export function parseWrk(text) {
  const rps = Number(text.match(/Requests\/sec:\s+([\d.]+)/)?.[1] ?? Number.NaN);
  const requests = Number(text.match(/(\d+) requests in/)?.[1] ?? Number.NaN);
  const non2xx = Number(text.match(/Non-2xx or 3xx responses:\s+(\d+)/)?.[1] ?? 0);
  const socket = text.match(/Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/);
  const socketErrors = socket ? socket.slice(1).reduce((sum, n) => sum + Number(n), 0) : 0;
  return { rps, requests, errors: non2xx + socketErrors };
}

/** The `PACED {…}` line of paced.lua: counts, and latency percentiles (ms) with the chart curve. */
export function parsePaced(text) {
  const json = text.match(/^PACED (\{.*\})$/m)?.[1];
  if (json === undefined) throw new Error(`no PACED line in wrk's output:\n${text.slice(-500)}`);
  const r = JSON.parse(json);
  const byPercentile = {
    0: r.p0,
    50: r.p50,
    75: r.p75,
    90: r.p90,
    95: r.p95,
    99: r.p99,
    99.5: r.p995,
    99.9: r.p999,
    99.95: r.p9995,
    99.99: r.p9999,
    100: r.max,
  };
  return {
    requests: r.requests,
    errors: r.errors,
    late: r.late,
    paced: r.paced,
    latency: {
      p50: r.p50,
      p90: r.p90,
      p99: r.p99,
      p999: r.p999,
      max: r.max,
      curve: CURVE_PERCENTILES.map((p) => ({ p, ms: byPercentile[p] ?? Number.NaN })),
    },
  };
}

/** Closed loop, flat out: `connections` keep-alive connections for `seconds`. */
export async function wrkMax(ctx, { port, host, seconds, connections }) {
  const out = await runToEnd(
    'wrk',
    WRK,
    ['-t1', `-c${connections}`, `-d${seconds}s`, '-H', `Host: ${host}`, `http://127.0.0.1:${port}/`],
    { cpu: ctx.loadCpu, timeoutMs: (seconds + 20) * 1000 },
  );
  return parseWrk(out);
}

/** Paced at `rate` requests/s over `connections` connections for `seconds`. */
export async function wrkPaced(ctx, { port, host, rate, seconds, connections }) {
  const out = await runToEnd(
    'wrk (paced)',
    WRK,
    [
      '-t1',
      `-c${connections}`,
      `-d${seconds}s`,
      '--timeout',
      '5s',
      '-s',
      PACED_SCRIPT,
      `http://127.0.0.1:${port}/`,
      '--',
      String(rate),
      host,
    ],
    { cpu: ctx.loadCpu, timeoutMs: (seconds + 20) * 1000 },
  );
  return parsePaced(out);
}
