/**
 * The node-proxy wired to the in-memory API server: everything it routes comes from objects created through
 * the API, as on a cluster (Services, Pods with status, the shadow Service the dns-controller writes, SMI).
 */
import { type ApiServer, startApiServer } from '@nodemesh/apiserver';
import { SHADOW_ANNOTATION_SERVICE_ACCOUNTS } from '@nodemesh/smi-types';
import { Pool } from 'undici';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type RunningNodeProxy, seededRandom, startNodeProxy } from '../../src/index.js';
import { httpBackend, Resources } from '../support.js';
import { Api, kubeConfigFor, waitFor } from './kube-fixtures.js';

let resources: Resources;
let server: ApiServer;
let api: Api;
let running: RunningNodeProxy;
let client: Pool;
let ports: { v1: number; v2: number };

async function startProxy(): Promise<RunningNodeProxy> {
  const proxy = await startNodeProxy({
    kubeConfig: kubeConfigFor(server.url),
    nodeName: 'node-a',
    listenHost: '127.0.0.1',
    adminHost: '127.0.0.1',
    adminPort: 0,
    proxy: { bindPort: () => 0, random: seededRandom(7), drainMs: 500 },
    syncMinIntervalMs: 20,
    informerBackoff: () => 50,
    crdProbeIntervalMs: 100,
  });
  resources.add(proxy, (p) => p.stop());
  await withTimeout(proxy.synced, 10_000, 'the first sync');
  return proxy;
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  return Promise.race([
    promise,
    new Promise<T>((_, reject) =>
      setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms).unref(),
    ),
  ]);
}

/** Sends `count` requests to orders.shop.mesh and counts the answering backends. */
async function tally(count: number, host = 'orders.shop.mesh'): Promise<Record<string, number>> {
  const seen: Record<string, number> = {};
  for (let i = 0; i < count; i++) {
    const res = await client.request({ method: 'GET', path: '/', headers: { host } });
    await res.body.text();
    const backend = res.headers['x-backend'];
    const name = typeof backend === 'string' ? backend : `status ${res.statusCode}`;
    seen[name] = (seen[name] ?? 0) + 1;
  }
  return seen;
}

/** Waits, sending one request per poll (at most 500), until `name` answers. */
const untilAnswers = (name: string, host?: string) =>
  waitFor(`${name} to answer`, async () => (await tally(1, host))[name] === 1);

async function metrics(): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${running.proxy.adminPort()}/metrics`);
  return res.text();
}

beforeEach(async () => {
  resources = new Resources();
  server = resources.add(await startApiServer(), (s) => s.stop());
  api = new Api(server.url);
  ports = { v1: (await httpBackend(resources, 'v1')).port, v2: (await httpBackend(resources, 'v2')).port };
  await api.namespace('shop');
  await api.namespace('nodemesh');
  await api.installSmiCrds();
  const orders = await api.service('shop', 'orders', { app: 'orders-v1' }, ports.v1);
  await api.service('shop', 'orders-v1', { app: 'orders-v1' }, ports.v1);
  await api.service('shop', 'orders-v2', { app: 'orders-v2' }, ports.v2);
  await api.pod('shop', 'orders-v1-pod', { node: 'node-b', ip: '127.0.0.1', labels: { app: 'orders-v1' } });
  await api.pod('shop', 'orders-v2-pod', { node: 'node-b', ip: '127.0.0.1', labels: { app: 'orders-v2' } });
  await api.shadow(orders, 'nodemesh', { [SHADOW_ANNOTATION_SERVICE_ACCOUNTS]: 'orders' });
  running = await startProxy();
  client = resources.add(
    new Pool(`http://127.0.0.1:${running.proxy.boundPort('http', 5000)}`, { connections: 2 }),
    (c) => c.close(),
  );
});

afterEach(async () => {
  await resources.closeAll();
});

describe('node-proxy wired to the API server', () => {
  it('routes HTTP to the Service’s pod, knows its callers by pod IP and reports readiness and metrics', async () => {
    await api.pod('shop', 'web-5c9d7f8b4-abcde', {
      node: 'node-a',
      ip: '127.0.0.1',
      labels: { app: 'web', 'pod-template-hash': '5c9d7f8b4' },
      serviceAccount: 'web',
      owner: { kind: 'ReplicaSet', name: 'web-5c9d7f8b4' },
    });
    await waitFor('the caller pod', () => running.callers.resolve('127.0.0.1') !== undefined);
    expect(running.callers.resolve('127.0.0.1')).toEqual({
      namespace: 'shop',
      workload: 'web',
      serviceAccount: 'web',
    });
    expect(await tally(3)).toEqual({ v1: 3 });

    const ready = await fetch(`http://127.0.0.1:${running.proxy.adminPort()}/readyz`);
    expect(ready.status).toBe(200);
    const text = await metrics();
    expect(text).toMatch(
      /nodemesh_http_requests_total\{source_namespace="shop",source_workload="web",destination_namespace="shop",destination_service="orders",method="GET",status_class="2xx"\} 3/,
    );
    expect(text).toContain('nodemesh_informer_synced{informer="services"} 1');
    expect(text).toContain('nodemesh_informer_synced{informer="trafficsplits"} 1');
    expect(text).toContain('nodemesh_informer_restarts_total{informer="pods"} 0');
    expect(text).toContain('process_cpu_seconds_total');
    expect(text).toContain('nodemesh_build_info{version="0.1.0"} 1');
    expect(text).toContain('process_resident_memory_bytes');
  });

  it('shifts traffic with a TrafficSplit applied through the API, 100/0 then 0/100, without reopening listeners', async () => {
    const entrypoint = running.proxy.boundPort('http', 5000);
    await api.applySplit(
      api.trafficSplit('shop', 'orders-split', 'orders', [
        ['orders-v1', 100],
        ['orders-v2', 0],
      ]),
    );
    await waitFor(
      'the split',
      () => running.proxy.snapshot.http.get(5000)?.hosts.get('orders.shop.mesh')?.split !== undefined,
    );
    expect(await tally(20)).toEqual({ v1: 20 });
    await api.applySplit(
      api.trafficSplit('shop', 'orders-split', 'orders', [
        ['orders-v1', 0],
        ['orders-v2', 100],
      ]),
    );
    await untilAnswers('v2');
    expect(await tally(20)).toEqual({ v2: 20 });
    expect(running.proxy.boundPort('http', 5000)).toBe(entrypoint);
  });

  it('reports a malformed TrafficSplit with an Event and keeps routing with the last good one', async () => {
    await api.applySplit(api.trafficSplit('shop', 'orders-split', 'orders', [['orders-v2', 1]]));
    await untilAnswers('v2');
    // Two backends naming one Service: the CRD schema accepts it, the validator does not.
    await api.applySplit(
      api.trafficSplit('shop', 'orders-split', 'orders', [
        ['orders-v1', 1],
        ['orders-v1', 1],
      ]),
    );
    await waitFor('a Warning Event', async () =>
      (await api.events('shop', 'orders-split')).some((e) => e.reason === 'InvalidTrafficSplit'),
    );
    const [event] = (await api.events('shop', 'orders-split')).filter(
      (e) => e.reason === 'InvalidTrafficSplit',
    );
    expect(event?.type).toBe('Warning');
    expect(event?.message).toMatch(/spec\.backends\[1\]/);
    expect(event?.message).toContain('last good version stays in effect');
    expect(await tally(10)).toEqual({ v2: 10 });
  });

  it('keeps a Service’s last good config when its annotations go bad, with a Warning Event', async () => {
    await api.mergePatch('/api/v1/namespaces/shop/services/orders', {
      metadata: { annotations: { 'nodemesh.io/retry-attempts': '2' } },
    });
    await waitFor(
      'the retry config',
      () => running.proxy.snapshot.services.get('shop/orders')?.retry?.attempts === 2,
    );
    await api.mergePatch('/api/v1/namespaces/shop/services/orders', {
      metadata: { annotations: { 'nodemesh.io/retry-attempts': 'many' } },
    });
    await waitFor('an InvalidAnnotations Event', async () =>
      (await api.events('shop', 'orders')).some((e) => e.reason === 'InvalidAnnotations'),
    );
    const [event] = (await api.events('shop', 'orders')).filter((e) => e.reason === 'InvalidAnnotations');
    expect(event?.message).toContain('metadata.annotations["nodemesh.io/retry-attempts"]');
    expect(running.proxy.snapshot.services.get('shop/orders')?.retry?.attempts).toBe(2);
    expect(await tally(3)).toEqual({ v1: 3 });
  });

  it('turns snapshot problems into Events on the TrafficSplit', async () => {
    await api.applySplit(
      api.trafficSplit('shop', 'orders-split', 'orders', [
        ['orders-v1', 1],
        ['missing', 1],
      ]),
    );
    await waitFor('a BackendNotFound Event', async () =>
      (await api.events('shop', 'orders-split')).some((e) => e.reason === 'BackendNotFound'),
    );
  });

  it('stops sending to an endpoint that goes not ready, and resumes when it is ready again', async () => {
    const pool = await api.service('shop', 'pool', { app: 'pool' }, 'http');
    await api.shadow(pool);
    await api.pod('shop', 'pool-a', {
      node: 'node-b',
      ip: '127.0.0.1',
      labels: { app: 'pool' },
      httpPort: ports.v1,
    });
    await api.pod('shop', 'pool-b', {
      node: 'node-b',
      ip: '127.0.0.1',
      labels: { app: 'pool' },
      httpPort: ports.v2,
    });
    await untilAnswers('v1', 'pool.shop.mesh');
    await untilAnswers('v2', 'pool.shop.mesh');
    await api.setPodReady('shop', 'pool-b', false);
    await waitFor('one endpoint', () => {
      const route = running.proxy.snapshot.http.get(5000)?.hosts.get('pool.shop.mesh');
      return route?.root.endpoints.length === 1;
    });
    expect(await tally(20, 'pool.shop.mesh')).toEqual({ v1: 20 });
    await api.setPodReady('shop', 'pool-b', true);
    await untilAnswers('v2', 'pool.shop.mesh');
  });

  it('keeps serving its last snapshot while the watches are down, and catches up after', async () => {
    const restarts = () => running.informers().reduce((n, s) => n + s.restarts, 0);
    const before = restarts();
    // Every watch ends, and the re-lists and re-watches that follow fail for a while.
    server.faults.failNext(6, 500);
    server.faults.dropWatches();
    expect(await tally(5)).toEqual({ v1: 5 });
    await waitFor('informers to fail and restart', () => restarts() > before);
    expect(await tally(5)).toEqual({ v1: 5 });
    await waitFor('the injected failures to be used up', async () => {
      const res = await fetch(`${server.url}/api/v1/namespaces/shop/services/orders`);
      await res.text();
      return res.status === 200;
    });
    await api.applySplit(api.trafficSplit('shop', 'orders-split', 'orders', [['orders-v2', 1]]));
    await untilAnswers('v2');
    expect(await tally(5)).toEqual({ v2: 5 });
    expect(running.informers().every((s) => s.synced)).toBe(true);
  });

  it('keeps serving across an API server restart that keeps its state', async () => {
    await server.restart({ keepState: true, downMs: 200 });
    expect(await tally(3)).toEqual({ v1: 3 });
    await api.applySplit(api.trafficSplit('shop', 'orders-split', 'orders', [['orders-v2', 1]]));
    await untilAnswers('v2');
  });

  it('drops a Service’s route when its shadow is deleted', async () => {
    const list = (await api.call('GET', '/api/v1/namespaces/nodemesh/services')) as {
      items: { metadata: { name: string } }[];
    };
    for (const item of list.items)
      await api.call('DELETE', `/api/v1/namespaces/nodemesh/services/${item.metadata.name}`);
    await waitFor('no route', () => running.proxy.snapshot.http.size === 0);
  });
});

describe('node-proxy without the SMI CRDs', () => {
  it('becomes ready without them and picks TrafficSplits up once they are installed', async () => {
    await running.stop();
    await server.restart({ keepState: false });
    await api.namespace('shop');
    await api.namespace('nodemesh');
    const orders = await api.service('shop', 'orders', { app: 'orders-v1' }, ports.v1);
    await api.service('shop', 'orders-v2', { app: 'orders-v2' }, ports.v2);
    await api.pod('shop', 'orders-v1-pod', { node: 'node-b', ip: '127.0.0.1', labels: { app: 'orders-v1' } });
    await api.pod('shop', 'orders-v2-pod', { node: 'node-b', ip: '127.0.0.1', labels: { app: 'orders-v2' } });
    await api.shadow(orders);
    running = await startProxy();
    await client.close();
    client = resources.add(
      new Pool(`http://127.0.0.1:${running.proxy.boundPort('http', 5000)}`, { connections: 1 }),
      (c) => c.close(),
    );
    expect(await tally(2)).toEqual({ v1: 2 });
    expect((await fetch(`http://127.0.0.1:${running.proxy.adminPort()}/readyz`)).status).toBe(200);
    await api.installSmiCrds();
    await waitFor('the CRD to be served', async () => {
      const res = await fetch(`${server.url}/apis/split.smi-spec.io/v1alpha4/trafficsplits`);
      await res.text();
      return res.status === 200;
    });
    await api.applySplit(api.trafficSplit('shop', 'orders-split', 'orders', [['orders-v2', 1]]));
    await untilAnswers('v2');
  });
});
