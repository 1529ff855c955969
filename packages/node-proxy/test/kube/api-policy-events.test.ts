/**
 * Policy that cannot be honoured, applied through the in-memory API server and seen at the proxy's sockets:
 * which of two TrafficSplits wins, a split match the proxy cannot apply, splits and annotations that would
 * pass silently, and the object each Warning Event is recorded on.
 */
import { type ApiServer, startApiServer } from '@nodemesh/apiserver';
import { smiCustomResourceDefinitions } from '@nodemesh/smi-types';
import { Pool } from 'undici';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RunningNodeProxy } from '../../src/index.js';
import { httpBackend, Resources, tcpEchoBackend } from '../support.js';
import { startMeshProxy } from './api-harness.js';
import { Api, type Json, waitFor } from './kube-fixtures.js';

interface EventView {
  readonly type: string;
  readonly reason: string;
  readonly message: string;
  readonly involvedObject: { apiVersion?: string; kind: string; name: string; uid?: string };
}

let resources: Resources;
let server: ApiServer;
let api: Api;
let running: RunningNodeProxy;
let client: Pool;

async function events(ns: string): Promise<EventView[]> {
  const list = (await api.call('GET', `/api/v1/namespaces/${ns}/events`)) as { items: EventView[] };
  return list.items;
}

async function eventsWith(ns: string, reason: string): Promise<EventView[]> {
  let found: EventView[] = [];
  await waitFor(`a ${reason} Event`, async () => {
    found = (await events(ns)).filter((e) => e.reason === reason);
    return found.length > 0;
  });
  return found;
}

/** Sends `count` requests to orders.shop.mesh and counts the answering backends (or statuses). */
async function tally(count: number): Promise<Record<string, number>> {
  const seen: Record<string, number> = {};
  for (let i = 0; i < count; i++) {
    const res = await client.request({ method: 'GET', path: '/', headers: { host: 'orders.shop.mesh' } });
    await res.body.text();
    const backend = res.headers['x-backend'];
    const name = typeof backend === 'string' ? backend : `status ${res.statusCode}`;
    seen[name] = (seen[name] ?? 0) + 1;
  }
  return seen;
}

const splitsPath = '/apis/split.smi-spec.io/v1alpha4/namespaces/shop/trafficsplits';

function splitObject(name: string, backends: [string, number][], matches?: Json[]): Json {
  return {
    apiVersion: 'split.smi-spec.io/v1alpha4',
    kind: 'TrafficSplit',
    metadata: { name, namespace: 'shop' },
    spec: {
      service: 'orders',
      backends: backends.map(([service, weight]) => ({ service, weight })),
      ...(matches === undefined ? {} : { matches }),
    },
  };
}

/** Installs the SMI CRDs; `permissive` lets a split match name any kind, as CRDs before this fix did. */
async function installCrds(permissive: boolean): Promise<void> {
  for (const crd of smiCustomResourceDefinitions()) {
    let body: unknown = crd;
    if (permissive && crd.spec.names.kind === 'TrafficSplit') {
      body = JSON.parse(
        JSON.stringify(crd).replaceAll(
          '"enum":["HTTPRouteGroup"]',
          '"enum":["HTTPRouteGroup","TCPRoute","UDPRoute"]',
        ),
      );
    }
    await api.create('/apis/apiextensions.k8s.io/v1/customresourcedefinitions', body);
  }
}

async function setUp(permissiveCrds = false): Promise<void> {
  resources = new Resources();
  server = resources.add(await startApiServer(), (s) => s.stop());
  api = new Api(server.url);
  await api.namespace('shop');
  await api.namespace('nodemesh');
  await installCrds(permissiveCrds);
  const v1 = (await httpBackend(resources, 'v1')).port;
  const v2 = (await httpBackend(resources, 'v2')).port;
  const orders = await api.service('shop', 'orders', { app: 'orders-v1' }, v1);
  await api.service('shop', 'orders-v1', { app: 'orders-v1' }, v1);
  await api.service('shop', 'orders-v2', { app: 'orders-v2' }, v2);
  await api.pod('shop', 'orders-v1-pod', { node: 'node-b', ip: '127.0.0.1', labels: { app: 'orders-v1' } });
  await api.pod('shop', 'orders-v2-pod', { node: 'node-b', ip: '127.0.0.1', labels: { app: 'orders-v2' } });
  await api.meshShadow(orders);
  running = await startMeshProxy(resources, server.url);
  client = resources.add(
    new Pool(`http://127.0.0.1:${running.proxy.boundPort('http', 5000)}`, { connections: 2 }),
    (c) => c.close(),
  );
  await waitFor('orders to answer', async () => (await tally(1)).v1 === 1);
}

afterEach(async () => {
  await resources.closeAll();
});

describe('two TrafficSplits for one Service', () => {
  beforeEach(() => setUp());

  it('the older one stays in effect even when a newer, broken one sorts first by name', async () => {
    const stable = await api.create(splitsPath, splitObject('z-stable', [['orders-v2', 1]]));
    await waitFor('the stable split', async () => (await tally(1)).v2 === 1);
    // creationTimestamp has one-second resolution: make the second split strictly newer.
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    const broken = await api.create(splitsPath, splitObject('a-broken', [['ghost', 1]]));
    const [duplicate] = await eventsWith('shop', 'DuplicateSplit');
    expect(duplicate?.type).toBe('Warning');
    expect(duplicate?.involvedObject).toMatchObject({
      apiVersion: 'split.smi-spec.io/v1alpha4',
      kind: 'TrafficSplit',
      name: 'a-broken',
      uid: (broken.metadata as { uid: string }).uid,
    });
    expect(duplicate?.message).toContain('older TrafficSplit "z-stable"');
    expect(await tally(20)).toEqual({ v2: 20 });
    const onStable = (await events('shop')).filter((e) => e.involvedObject.name === 'z-stable');
    expect(onStable).toEqual([]);
    expect((stable.metadata as { name: string }).name).toBe('z-stable');

    // Deleting the older split hands the Service to the one left.
    await api.call('DELETE', `${splitsPath}/z-stable`);
    await waitFor('the remaining split to take over', async () => (await tally(1))['status 502'] === 1);
  });

  it('a split whose weights are all 0 gets a Warning Event', async () => {
    await api.create(
      splitsPath,
      splitObject('off', [
        ['orders-v1', 0],
        ['orders-v2', 0],
      ]),
    );
    const [event] = await eventsWith('shop', 'NoWeight');
    expect(event?.involvedObject).toMatchObject({ kind: 'TrafficSplit', name: 'off' });
    expect(await tally(3)).toEqual({ 'status 502': 3 });
  });
});

describe('a TrafficSplit match the proxy cannot apply', () => {
  it('is refused by the CRD schema: a split may match HTTPRouteGroups only', async () => {
    await setUp();
    const tcpMatch = splitObject('canary', [['orders-v2', 1]], [{ kind: 'TCPRoute', name: 'all' }]);
    await expect(api.create(splitsPath, tcpMatch)).rejects.toThrow(/HTTP 422.*spec\.matches\[0\]\.kind/);
  });

  it('stored under an older CRD, it is rejected with an Event and never widens the route', async () => {
    await setUp(true);
    await api.create(
      splitsPath,
      splitObject('canary', [['orders-v2', 1]], [{ kind: 'TCPRoute', name: 'all' }]),
    );
    const [event] = await eventsWith('shop', 'InvalidTrafficSplit');
    expect(event?.involvedObject).toMatchObject({ kind: 'TrafficSplit', name: 'canary' });
    expect(event?.message).toContain('spec.matches[0].kind');
    expect(await tally(20)).toEqual({ v1: 20 });
  });
});

describe('Events go on the object they are about', () => {
  beforeEach(() => setUp());

  it('a TrafficTarget’s problem is recorded on the TrafficTarget, not on a Service of the same name', async () => {
    // A Service named like the target: the Event used to land on it.
    await api.service('shop', 'orders-access', { app: 'nothing' }, 80);
    const target = await api.create('/apis/access.smi-spec.io/v1alpha3/namespaces/shop/traffictargets', {
      apiVersion: 'access.smi-spec.io/v1alpha3',
      kind: 'TrafficTarget',
      metadata: { name: 'orders-access', namespace: 'shop' },
      spec: {
        destination: { kind: 'ServiceAccount', name: 'orders' },
        sources: [{ kind: 'ServiceAccount', name: 'web' }],
        rules: [{ kind: 'HTTPRouteGroup', name: 'missing-routes' }],
      },
    });
    const [event] = await eventsWith('shop', 'RouteNotFound');
    expect(event?.involvedObject).toEqual({
      apiVersion: 'access.smi-spec.io/v1alpha3',
      kind: 'TrafficTarget',
      namespace: 'shop',
      name: 'orders-access',
      uid: (target.metadata as { uid: string }).uid,
    });
    const onService = (await events('shop')).filter((e) => e.involvedObject.kind === 'Service');
    expect(onService).toEqual([]);
  });

  it('traffic-type udp on a TCP port gets a Warning Event on the Service', async () => {
    const echo = await tcpEchoBackend(resources);
    const resolver = await api.create('/api/v1/namespaces/shop/services', {
      metadata: { name: 'resolver', annotations: { 'nodemesh.io/traffic-type': 'udp' } },
      spec: {
        selector: { app: 'resolver' },
        ports: [{ name: 'dns-tcp', port: 53, protocol: 'TCP', targetPort: echo }],
      },
    });
    await api.meshShadow(resolver);
    const [event] = await eventsWith('shop', 'TrafficTypeMismatch');
    expect(event?.involvedObject).toMatchObject({ apiVersion: 'v1', kind: 'Service', name: 'resolver' });
    expect(event?.message).toContain('proxied as raw TCP');
  });
});
