#!/usr/bin/env node
/**
 * One control-plane scale measurement, in a process of its own so memory figures are its alone.
 * Usage: node --expose-gc scale-probe.mjs <services> <endpoints-per-service> <runs> <updates>
 *
 * - full build: a fresh topology builder over all inputs, `runs` times (median and spread);
 * - full apply: NodeProxy.applyInputs from empty (build + swap + listener reconcile);
 * - heap and RSS of the process after that apply and a forced GC (inputs included: the informer caches
 *   of a real proxy hold them too);
 * - incremental: `updates` times, one Service's endpoints change (a new array, as an informer gives),
 *   timed through the pure builder and through NodeProxy.applyInputs.
 * Prints one JSON line.
 */
import { createTopologyBuilder, NodeProxy } from '../../../packages/node-proxy/dist/index.js';
import { summarize } from '../lib/stats.mjs';

const [servicesArg, endpointsArg, runsArg, updatesArg] = process.argv.slice(2);
const count = Number(servicesArg ?? 1000);
const perService = Number(endpointsArg ?? 10);
const runs = Number(runsArg ?? 3);
const updates = Number(updatesArg ?? 20);
const gc = globalThis.gc ?? (() => {});

const config = {
  trafficType: 'http',
  scheme: 'http',
  retry: undefined,
  timeoutMs: undefined,
  circuitBreaker: undefined,
  rateLimit: undefined,
};
const ip = (a, i) => `${a}.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;

function endpointsOf(i, generation) {
  return Array.from({ length: perService }, (_, e) => ({
    address: ip(10 + (e % 4), (i * perService + e) % 2 ** 24),
    ports: { http: 8080 },
    ready: !(generation % 2 === 1 && e === 0),
    serving: true,
    terminating: false,
  }));
}

const services = new Map();
const endpoints = new Map();
for (let i = 0; i < count; i++) {
  const key = `ns-${i % 50}/svc-${i}`;
  services.set(key, {
    namespace: `ns-${i % 50}`,
    name: `svc-${i}`,
    config,
    ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
    shadow: {
      clusterIPs: [ip(100, i)],
      ports: [{ name: 'http', protocol: 'TCP', port: 8080, targetPort: 5000, trafficType: 'http' }],
    },
  });
  endpoints.set(key, endpointsOf(i, 0));
}
const inputs = { meshDomain: 'mesh', services, endpoints, trafficSplits: [], httpRouteGroups: new Map() };
const keys = [...services.keys()];
const ms = (start) => performance.now() - start;

const fullBuild = [];
for (let run = 0; run < runs; run++) {
  gc();
  const started = performance.now();
  createTopologyBuilder().build(inputs);
  fullBuild.push(ms(started));
}

const proxy = new NodeProxy({ bindPort: () => 0, adminPort: 0, drainMs: 100 });
await proxy.start();
gc();
const beforeApply = process.memoryUsage();
let started = performance.now();
await proxy.applyInputs(inputs);
const fullApplyMs = ms(started);
gc();
const afterApply = process.memoryUsage();

const builder = createTopologyBuilder();
builder.build(inputs);
const incrementalBuild = [];
const incrementalApply = [];
let rebuilt = 0;
for (let u = 1; u <= updates; u++) {
  const key = keys[(u * 7919) % keys.length];
  endpoints.set(key, endpointsOf(keys.indexOf(key), u));
  started = performance.now();
  builder.build(inputs);
  incrementalBuild.push(ms(started));
  rebuilt = Math.max(rebuilt, builder.lastBuild.rebuiltServices);
  started = performance.now();
  await proxy.applyInputs(inputs);
  incrementalApply.push(ms(started));
}
await proxy.stop();

const mib = (bytes) => bytes / 2 ** 20;
process.stdout.write(
  `${JSON.stringify({
    services: count,
    endpointsPerService: perService,
    fullBuildMs: summarize(fullBuild),
    fullApplyMs,
    incrementalBuildMs: summarize(incrementalBuild),
    incrementalApplyMs: summarize(incrementalApply),
    incrementalApplyMaxMs: Math.max(...incrementalApply),
    rebuiltPerUpdate: rebuilt,
    heapUsedMiB: mib(afterApply.heapUsed),
    rssMiB: mib(afterApply.rss),
    heapBeforeApplyMiB: mib(beforeApply.heapUsed),
  })}\n`,
);
process.exit(0);
