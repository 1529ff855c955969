#!/usr/bin/env node
/**
 * A constant-rate (open-loop) HTTP load generator: requests are scheduled at fixed intervals whatever the
 * server does, and each latency is measured from the request's scheduled time, not from when it could be
 * sent, so a stalled server shows up in the tail instead of slowing the load (no coordinated omission).
 * wrk2 does this but is not in Debian; plain wrk is closed-loop and fits only max-throughput runs.
 *
 * Usage: open-loop.mjs <url> <host-header> <rate/s> <seconds> [connections]
 * Prints one JSON line: { scheduled, ok, failed, late, latency: { p50, p90, p99, p999, max, curve } }.
 * Bounded: exactly rate*seconds requests, then at most 5 s for the stragglers.
 */
import { Pool } from 'undici';
import { latencyProfile } from '../lib/stats.mjs';

const [url, host, rateArg, secondsArg, connectionsArg] = process.argv.slice(2);
const rate = Number(rateArg);
const seconds = Number(secondsArg);
const connections = Number(connectionsArg ?? 64);
if (!url || !host || !(rate > 0) || !(seconds > 0)) {
  process.stderr.write('usage: open-loop.mjs <url> <host> <rate> <seconds> [connections]\n');
  process.exit(2);
}

const target = new URL(url);
const pool = new Pool(target.origin, { connections, pipelining: 1, keepAliveTimeout: 30_000 });
const total = Math.round(rate * seconds);
const latencies = new Float64Array(total);
let done = 0;
let ok = 0;
let failed = 0;
let scheduled = 0;
/** Requests sent more than 1 ms after their slot: the generator itself fell behind. */
let late = 0;

function send(intendedAt) {
  if (performance.now() - intendedAt > 1) late++;
  pool
    .request({ path: target.pathname, method: 'GET', headers: { host } })
    .then(async (res) => {
      await res.body.dump();
      if (res.statusCode === 200) {
        latencies[ok++] = performance.now() - intendedAt;
      } else failed++;
    })
    .catch(() => {
      failed++;
    })
    .finally(() => {
      done++;
    });
}

const start = performance.now() + 10;
const interval = 1000 / rate;
await new Promise((resolve) => {
  const tick = () => {
    const now = performance.now();
    while (scheduled < total && start + scheduled * interval <= now) {
      send(start + scheduled * interval);
      scheduled++;
    }
    if (scheduled >= total) resolve();
    else setTimeout(tick, Math.max(0, Math.min(1, start + scheduled * interval - performance.now())));
  };
  setTimeout(tick, 10);
});
const deadline = performance.now() + 5000;
while (done < scheduled && performance.now() < deadline) await new Promise((r) => setTimeout(r, 10));
const lost = scheduled - done;
const profile = latencyProfile(latencies.subarray(0, ok));
process.stdout.write(`${JSON.stringify({ scheduled, ok, failed: failed + lost, late, latency: profile })}\n`);
await pool.destroy();
process.exit(0);
