#!/usr/bin/env node
/**
 * The convergence prober: makes changes through the API server and polls the node-proxy with HTTP
 * requests, one at a time over one keep-alive connection, until its answers show the change.
 *
 * 1. Split: `changes` times (after 2 warm-up flips), flips the TrafficSplit of orders.bench.mesh between all-v1 and all-v2 with a
 *    merge patch; the delay runs from just before the write until the first of `splitStreak` answers in
 *    a row from the new backend.
 * 2. Readiness (`readinessChanges` times): marks pod web-b not Ready (the pod status patch a kubelet
 *    writes); the delay runs until the first of `readinessStreak` answers in a row from web-a only. Then
 *    marks it Ready again and times until web-b answers again.
 *
 * Usage: convergence-probe.mjs <json: {api, proxyPort, changes, readinessChanges, timeoutMs}>
 * Prints one JSON line. Bounded: each change polls at most `timeoutMs` and 200 000 requests.
 */
import { Pool } from 'undici';
import {
  CONVERGENCE,
  createStreakTracker,
  flipTarget,
  pauseBefore,
  podReadyPatch,
  splitPatch,
  summarizeDelays,
} from '../lib/convergence.mjs';

const options = JSON.parse(process.argv[2] ?? '{}');
const { api, proxyPort, changes, readinessChanges, timeoutMs } = options;
if (!String(api).startsWith('http://127.') || !(proxyPort > 0) || !(changes >= 0) || !(timeoutMs > 0)) {
  process.stderr.write('usage: convergence-probe.mjs <{"api","proxyPort","changes","timeoutMs"}>\n');
  process.exit(2);
}
const MAX_POLLS = 200_000;
/** In a row from the new backend: the split is deterministic (100/0), a few suffice. */
const SPLIT_STREAK = 5;
/** Split flips made before the measured ones (even, so the measured ones start from v1 as well). */
const SPLIT_WARMUP = 2;
/**
 * While web-b is still routed, each answer comes from web-a with probability about 1/2: 20 in a row by
 * chance happens once in a million changes.
 */
const READINESS_STREAK = 20;

const { namespace: ns } = CONVERGENCE;
const splitHost = `${CONVERGENCE.splitRoot}.${ns}.mesh`;
const webHost = `${CONVERGENCE.readinessService}.${ns}.mesh`;
const proxy = new Pool(`http://127.0.0.1:${proxyPort}`, {
  connections: 1,
  keepAliveTimeout: 30_000,
  headersTimeout: 2000,
  bodyTimeout: 2000,
});
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** One request through the proxy: the answering backend's name, or `status <code>` / `error`. */
async function ask(host) {
  try {
    const res = await proxy.request({ method: 'GET', path: '/', headers: { host } });
    await res.body.dump();
    const backend = res.headers['x-backend'];
    return typeof backend === 'string' ? backend : `status ${res.statusCode}`;
  } catch {
    return 'error';
  }
}

/** Polls `host` until `tracker` reports convergence: the time of that, or undefined past the bounds. */
async function pollUntil(host, tracker, startedAt) {
  for (let polls = 0; polls < MAX_POLLS && performance.now() - startedAt < timeoutMs; polls++) {
    const answer = await ask(host);
    const at = tracker.observe(answer, performance.now());
    if (at !== undefined) return at;
  }
  return undefined;
}

async function patch(path, body) {
  const res = await fetch(`${api}${path}`, {
    method: 'PATCH',
    headers: { 'content-type': 'application/merge-patch+json' },
    body: JSON.stringify(body),
  });
  if (res.status >= 300) throw new Error(`PATCH ${path}: HTTP ${res.status}: ${await res.text()}`);
  await res.arrayBuffer();
}

/** Writes `body` at `path`, then times until `tracker` is satisfied on `host`; NaN on timeout. */
async function timeChange(path, body, host, tracker) {
  const startedAt = performance.now();
  await patch(path, body);
  const at = await pollUntil(host, tracker, startedAt);
  return at === undefined ? Number.NaN : at - startedAt;
}

function collect(delays) {
  const ok = delays.filter((d) => Number.isFinite(d));
  return { ...summarizeDelays(ok, delays.length - ok.length), delaysMs: delays.map((d) => round(d)) };
}
const round = (ms) => (Number.isFinite(ms) ? Math.round(ms * 100) / 100 : null);

const splitPath = `/apis/split.smi-spec.io/v1alpha4/namespaces/${ns}/trafficsplits/${CONVERGENCE.splitName}`;
const podPath = `/api/v1/namespaces/${ns}/pods/${CONVERGENCE.flippedPod}/status`;

// The section set the split to v1 before starting the proxy: wait until it serves that (warm connection).
if ((await pollUntil(splitHost, createStreakTracker('v1', SPLIT_STREAK), performance.now())) === undefined)
  throw new Error(`${splitHost} never answered from v1 through the proxy`);
// The first flips after start pay for cold paths (the first patch, the proxy's first split rebuild): like
// the other sections' warm-up runs they are made, timed for the record, and left out of the figures.
const warmup = [];
const split = [];
for (let i = 0; i < SPLIT_WARMUP + changes; i++) {
  await sleep(pauseBefore(i));
  const to = flipTarget(i);
  const delay = await timeChange(splitPath, splitPatch(to), splitHost, createStreakTracker(to, SPLIT_STREAK));
  (i < SPLIT_WARMUP ? warmup : split).push(delay);
}

const removed = [];
const restored = [];
if (readinessChanges > 0) {
  // Both pods of `web` ready: wait until web-b (v2) answers at least once.
  if ((await pollUntil(webHost, createStreakTracker('v2', 1), performance.now())) === undefined)
    throw new Error(`${webHost} never answered from web-b through the proxy`);
}
for (let i = 0; i < readinessChanges; i++) {
  await sleep(pauseBefore(i));
  removed.push(
    await timeChange(podPath, podReadyPatch(false), webHost, createStreakTracker('v1', READINESS_STREAK)),
  );
  await sleep(pauseBefore(i + 1));
  restored.push(await timeChange(podPath, podReadyPatch(true), webHost, createStreakTracker('v2', 1)));
}

process.stdout.write(
  `${JSON.stringify({
    split: collect(split),
    splitWarmupMs: warmup.map((d) => round(d)),
    endpointRemoved: collect(removed),
    endpointRestored: collect(restored),
    streaks: { split: SPLIT_STREAK, readiness: READINESS_STREAK },
  })}\n`,
);
await proxy.destroy();
process.exit(0);
