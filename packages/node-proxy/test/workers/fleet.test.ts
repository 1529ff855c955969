/**
 * `--workers N`: worker processes on one port, fed by the node's one control loop. Against the in-memory API
 * server, with real sockets; the workers run the package's build (`pnpm build` first).
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { type ApiServer, startApiServer } from '@nodemesh/apiserver';
import { SHADOW_ANNOTATION_SERVICE_ACCOUNTS } from '@nodemesh/smi-types';
import { request } from 'undici';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type RunningControlLoop, startNodeProxyFleet } from '../../src/kube/start-node-proxy.js';
import type { NodeProxyPrimary } from '../../src/workers/node-proxy-primary.js';
import { runtimeHasReusePort } from '../../src/workers/port-sharing.js';
import { Api, kubeConfigFor, waitFor } from '../kube/kube-fixtures.js';
import { httpBackend, Resources } from '../support.js';

let resources: Resources;
let server: ApiServer;
let api: Api;
let running: RunningControlLoop<NodeProxyPrimary>;
let entrypoint: number;
/** Resource requests the API server saw, as `verb resource`. */
let calls: string[];

/** A loopback port free now (bound, then released): workers bind the snapshot's ports to it. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => resolve(typeof address === 'object' && address !== null ? address.port : 0));
    });
  });
}

/** One request on a connection of its own (so connections spread over the workers). */
async function get(host: string): Promise<number> {
  const res = await request(`http://127.0.0.1:${entrypoint}/`, { headers: { host }, reset: true });
  await res.body.text();
  return res.statusCode;
}

/** `nodemesh_http_requests_total` to a Service, per worker (from the fleet) and in the node's /metrics. */
async function requestCounts(service: string): Promise<{ perWorker: number[]; node: number }> {
  const count = (lines: string) =>
    lines
      .split('\n')
      .filter(
        (l) =>
          l.startsWith('nodemesh_http_requests_total{') && l.includes(`destination_service="${service}"`),
      )
      .reduce((sum, l) => sum + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
  const [, ...workers] = await running.proxy.fleet.scrape();
  const perWorker = workers.map((families) =>
    (families.find((f) => f.name === 'nodemesh_http_requests_total')?.series ?? [])
      .filter((s) => s.labels.includes(`destination_service="${service}"`))
      .reduce((sum, s) => sum + (s.value ?? 0), 0),
  );
  const text = await (await fetch(`http://127.0.0.1:${running.proxy.adminPort()}/metrics`)).text();
  return { perWorker, node: count(text) };
}

/** Listening TCP sockets on a port, from /proc/net/tcp (state 0A). */
function listeningSockets(port: number): number {
  const hex = port.toString(16).toUpperCase().padStart(4, '0');
  return readFileSync('/proc/net/tcp', 'utf8')
    .split('\n')
    .filter((line) => {
      const fields = line.trim().split(/\s+/);
      return fields[1]?.endsWith(`:${hex}`) && fields[3] === '0A';
    }).length;
}

const ready = async () =>
  (await fetch(`http://127.0.0.1:${running.proxy.adminPort()}/readyz`)).status === 200;

beforeEach(async () => {
  resources = new Resources();
  calls = [];
  server = resources.add(
    await startApiServer({ onRequest: (call) => calls.push(`${call.verb} ${call.resource}`) }),
    (s) => s.stop(),
  );
  api = new Api(server.url);
  const backend = await httpBackend(resources, 'v1');
  await api.namespace('shop');
  await api.namespace('nodemesh');
  const orders = await api.service('shop', 'orders', { app: 'orders' }, backend.port);
  await api.pod('shop', 'orders-pod', { node: 'node-b', ip: '127.0.0.1', labels: { app: 'orders' } });
  await api.shadow(orders, 'nodemesh', { [SHADOW_ANNOTATION_SERVICE_ACCOUNTS]: 'orders' });
  entrypoint = await freePort();
  running = await startNodeProxyFleet({
    kubeConfig: kubeConfigFor(server.url),
    nodeName: 'node-a',
    listenHost: '127.0.0.1',
    adminHost: '127.0.0.1',
    adminPort: 0,
    workers: 2,
    logLevel: 'warn',
    worker: { bindPorts: { 'http:5000': entrypoint }, drainMs: 500 },
    fleet: { restartBackoff: () => 50, stopTimeoutMs: 5_000 },
    syncMinIntervalMs: 20,
    informerBackoff: () => 50,
    crdProbeIntervalMs: 100,
  });
  resources.add(running, (r) => r.stop());
  await running.synced;
  await waitFor('the node to be ready', ready, 20_000);
  await waitFor('both workers to serve', () =>
    running.proxy.fleet.status().every((w) => w.current && w.ready),
  );
});

afterEach(async () => {
  await resources.closeAll();
});

describe('a node-proxy with two workers', () => {
  it('serves one port from both workers, watches the API server once, and adds up their metrics', async () => {
    // SO_REUSEPORT where the runtime has it: a socket per worker; else the cluster primary's one.
    expect(listeningSockets(entrypoint)).toBe(runtimeHasReusePort() ? 2 : 1);
    const statuses: number[] = [];
    for (let i = 0; i < 40; i++) statuses.push(await get('orders.shop.mesh'));
    expect(statuses.filter((s) => s !== 200)).toEqual([]);
    const { perWorker, node } = await requestCounts('orders');
    expect(perWorker).toHaveLength(2);
    // Each connection went to one worker or the other, and both got some.
    expect(perWorker.every((n) => n > 0)).toBe(true);
    expect(perWorker.reduce((a, b) => a + b, 0)).toBe(40);
    expect(node).toBe(40);
    // One control loop: one list and one watch of the node's pods, and one of the node proxies (the tunnel's
    // directory), not one per worker.
    expect(calls.filter((c) => c === 'list pods')).toHaveLength(2);
    expect(calls.filter((c) => c === 'watch pods')).toHaveLength(2);
    const text = await (await fetch(`http://127.0.0.1:${running.proxy.adminPort()}/metrics`)).text();
    // CPU and memory of the three processes, added up; the snapshot version is the primary's.
    const rss = Number(/^process_resident_memory_bytes (\S+)$/m.exec(text)?.[1]);
    expect(rss).toBeGreaterThan(3 * 20 * 2 ** 20);
    expect(text).toMatch(/^nodemesh_snapshot_version \d+$/m);
    expect(text).toContain('nodemesh_informer_synced{informer="pods"} 1');
  });

  it('passes a route change to every worker', async () => {
    const backend = await httpBackend(resources, 'cart');
    const cart = await api.service('shop', 'cart', { app: 'cart' }, backend.port);
    await api.pod('shop', 'cart-pod', { node: 'node-b', ip: '127.0.0.1', labels: { app: 'cart' } });
    await api.shadow(cart, 'nodemesh');
    await waitFor(
      'the primary to route cart',
      () => running.proxy.snapshot.http.get(5000)?.hosts.has('cart.shop.mesh') === true,
    );
    await waitFor('both workers to apply it', async () =>
      running.proxy.fleet.status().every((w) => w.current && w.ready),
    );
    const statuses: number[] = [];
    for (let i = 0; i < 30; i++) statuses.push(await get('cart.shop.mesh'));
    expect(statuses.filter((s) => s !== 200)).toEqual([]);
    const { perWorker } = await requestCounts('cart');
    expect(perWorker.every((n) => n > 0)).toBe(true);
  });

  it('restarts a worker that dies, hands it the state, and keeps the counters going up', async () => {
    for (let i = 0; i < 10; i++) expect(await get('orders.shop.mesh')).toBe(200);
    const before = (await requestCounts('orders')).node;
    expect(before).toBe(10);
    const [victim] = running.proxy.fleet.status();
    if (victim?.pid === undefined) throw new Error('no worker 0');
    process.kill(victim.pid, 'SIGKILL');
    await waitFor(
      'a new worker 0, up to date',
      () => {
        const [now] = running.proxy.fleet.status();
        return now?.pid !== undefined && now.pid !== victim.pid && now.current && now.ready;
      },
      20_000,
    );
    expect(await ready()).toBe(true);
    const statuses: number[] = [];
    for (let i = 0; i < 20; i++) statuses.push(await get('orders.shop.mesh'));
    expect(statuses.filter((s) => s !== 200)).toEqual([]);
    const after = await requestCounts('orders');
    // The dead worker's last scraped counts are kept: the node's total only grows.
    expect(after.node).toBe(before + 20);
    expect(after.perWorker.every((n) => n > 0)).toBe(true);
  });
});
