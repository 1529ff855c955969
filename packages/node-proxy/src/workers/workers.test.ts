import { type MeshRoute, parseGatewayResource, type ReferenceGrant } from '@nodemesh/smi-types';
import { describe, expect, it } from 'vitest';
import { meshService, readyEndpoints, topologyInputs } from '../../test/fixtures.js';
import type { TopologyInputs } from '../topology/inputs.js';
import { createTopologyBuilder } from '../topology/topology-builder.js';
import { applyDelta, diffInputs, isEmptyDelta } from './input-delta.js';
import { runtimeHasReusePort } from './port-sharing.js';
import { cpuLimit, workersFor } from './worker-count.js';

/** What crossing the IPC channel does to the objects: a structured clone. */
const copy = <T>(value: T): T => structuredClone(value);

function split(name: string, weight: number) {
  return {
    kind: 'TrafficSplit' as const,
    apiVersion: 'split.smi-spec.io/v1alpha4',
    namespace: 'shop',
    name,
    service: 'orders',
    backends: [
      { service: 'orders', weight },
      { service: 'cart', weight: 100 - weight },
    ],
    matches: [],
  };
}

function inputs(ordersPort: number, splits: TopologyInputs['trafficSplits'] = []): TopologyInputs {
  const base = topologyInputs({
    services: [
      meshService('shop', 'orders', [{ port: 80, targetPort: 5000 }]),
      meshService('shop', 'cart', [{ port: 80, targetPort: 5000 }]),
    ],
    endpoints: {
      'shop/orders': readyEndpoints([{ address: '10.0.0.1', port: ordersPort }]),
      'shop/cart': readyEndpoints([{ address: '10.0.0.2', port: 8080 }]),
    },
  });
  return { ...base, trafficSplits: splits };
}

/** A Gateway API resource of the shop namespace, validated as the input assembler does. */
function gateway<T>(kind: 'HTTPRoute' | 'GRPCRoute' | 'ReferenceGrant', name: string, spec: unknown): T {
  const parsed = parseGatewayResource(
    { kind, metadata: { name, namespace: 'shop', creationTimestamp: '2026-01-01T00:00:00Z' }, spec },
    kind,
  );
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
  return parsed.value as T;
}

function httpRoute(name: string, backend: string, kind: 'HTTPRoute' | 'GRPCRoute' = 'HTTPRoute'): MeshRoute {
  return gateway(kind, name, {
    parentRefs: [{ group: '', kind: 'Service', name: 'orders', port: 80 }],
    rules: [{ backendRefs: [{ name: backend, port: 80 }] }],
  });
}

describe('input deltas', () => {
  it('carry every kind of input: a worker applies what its primary built from', () => {
    const grant = gateway<ReferenceGrant>('ReferenceGrant', 'grant', {
      from: [{ group: 'gateway.networking.k8s.io', kind: 'HTTPRoute', namespace: 'web' }],
      to: [{ group: '', kind: 'Service' }],
    });
    const full: Required<TopologyInputs> = {
      ...inputs(8080, [split('a', 100)]),
      trafficTargets: [],
      tcpRoutes: new Map(),
      udpRoutes: new Map(),
      meshRoutes: [httpRoute('to-cart', 'cart')],
      referenceGrants: [grant],
    };
    const theirs = applyDelta(undefined, copy(diffInputs(undefined, full)));
    expect(Object.keys(theirs).sort()).toEqual(Object.keys(full).sort());
    expect(theirs).toEqual(full);
  });

  it('keep mesh routes by kind and name: a changed route is sent alone, and the worker routes by it', () => {
    const unchanged = httpRoute('same-name', 'orders', 'GRPCRoute');
    const first = { ...inputs(8080), meshRoutes: [httpRoute('same-name', 'orders'), unchanged] };
    const primary = createTopologyBuilder();
    const worker = createTopologyBuilder();
    let theirs = applyDelta(undefined, copy(diffInputs(undefined, first)));
    worker.build(theirs);

    const changed = httpRoute('same-name', 'cart');
    const second = { ...first, meshRoutes: [changed, unchanged] };
    const delta = diffInputs(first, second);
    expect(delta).toEqual({
      meshRoutes: {
        keys: ['HTTPRoute/shop/same-name', 'GRPCRoute/shop/same-name'],
        set: [['HTTPRoute/shop/same-name', changed]],
      },
    });
    const kept = theirs.meshRoutes?.[1];
    theirs = applyDelta(theirs, copy(delta));
    // The route that did not change is still the worker's own object (its builds stay incremental).
    expect(theirs.meshRoutes?.[1]).toBe(kept);
    const mine = primary.build(second);
    const built = worker.build(theirs);
    const table = (s: typeof mine) => JSON.stringify(s.http.get(5000)?.hosts.get('orders.shop.mesh')?.mesh);
    expect(table(built)).toEqual(table(mine));
    expect(table(built)).toContain('cart');

    const gone = applyDelta(theirs, copy(diffInputs(second, { ...second, meshRoutes: [] })));
    expect(gone.meshRoutes).toEqual([]);
  });

  it('send only what changed; applied to a copy they rebuild only the Services that changed', () => {
    const first = inputs(8080);
    const worker = createTopologyBuilder();
    let theirs = applyDelta(undefined, copy(diffInputs(undefined, first)));
    worker.build(theirs);
    expect(worker.lastBuild).toEqual({ rebuiltServices: 2, reusedServices: 0 });

    // One endpoint list changed: the delta carries that list alone, and the worker rebuilds one Service.
    const second = { ...first, endpoints: new Map(first.endpoints) };
    second.endpoints.set('shop/orders', readyEndpoints([{ address: '10.0.0.1', port: 9090 }]));
    const delta = diffInputs(first, second);
    expect(delta).toEqual({
      endpoints: { set: [['shop/orders', second.endpoints.get('shop/orders')]], removed: [] },
    });
    theirs = applyDelta(theirs, copy(delta));
    const snapshot = worker.build(theirs);
    expect(worker.lastBuild).toEqual({ rebuiltServices: 1, reusedServices: 1 });
    expect(snapshot.http.get(5000)?.hosts.get('orders.shop.mesh')?.root.endpoints[0]?.port).toBe(9090);
    expect(isEmptyDelta(diffInputs(second, second))).toBe(true);
  });

  it('keep splits and targets by name: a changed split is sent alone, a removed one goes', () => {
    const a = split('a', 100);
    const b = split('b', 50);
    const first = inputs(8080, [a, b]);
    const theirs = applyDelta(undefined, copy(diffInputs(undefined, first)));
    const changed = split('b', 10);
    const second = inputs(8080, [a, changed]);
    // Same Service and endpoint objects, so only the split list differs.
    const next = { ...first, trafficSplits: second.trafficSplits };
    const delta = diffInputs(first, next);
    expect(delta).toEqual({ trafficSplits: { keys: ['shop/a', 'shop/b'], set: [['shop/b', changed]] } });
    const applied = applyDelta(theirs, copy(delta));
    expect(applied.trafficSplits[0]).toBe(theirs.trafficSplits[0]);
    expect(applied.trafficSplits[1]).toEqual(changed);
    const removed = applyDelta(applied, copy(diffInputs(next, { ...next, trafficSplits: [changed] })));
    expect(removed.trafficSplits.map((s) => s.name)).toEqual(['b']);
  });

  it('remove Services that went away', () => {
    const first = inputs(8080);
    const services = new Map(first.services);
    services.delete('shop/cart');
    const second = { ...first, services };
    const applied = applyDelta(
      applyDelta(undefined, diffInputs(undefined, first)),
      diffInputs(first, second),
    );
    expect([...applied.services.keys()]).toEqual(['shop/orders']);
  });
});

describe('worker count', () => {
  it('reads the CPU limit from cgroup v2 and v1 files, none when unlimited', () => {
    expect(cpuLimit({ cpuMax: '200000 100000\n' })).toBe(2);
    expect(cpuLimit({ cpuMax: '150000 100000' })).toBe(1.5);
    expect(cpuLimit({ cpuMax: 'max 100000' })).toBeUndefined();
    expect(cpuLimit({ cfsQuota: '50000', cfsPeriod: '100000' })).toBe(0.5);
    expect(cpuLimit({ cfsQuota: '-1', cfsPeriod: '100000' })).toBeUndefined();
    expect(cpuLimit({})).toBeUndefined();
  });

  it('rounds a limit up, caps it at the CPUs there are, and falls back to them', () => {
    expect(workersFor(1.5, 8)).toBe(2);
    expect(workersFor(0.5, 8)).toBe(1);
    expect(workersFor(2, 8)).toBe(2);
    expect(workersFor(16, 4)).toBe(4);
    expect(workersFor(undefined, 6)).toBe(6);
  });
});

describe('port sharing', () => {
  it('uses SO_REUSEPORT from Node 22.12 and 23.1 on', () => {
    expect(
      ['20.18.0', '22.11.0', '22.12.0', '23.0.0', '23.1.0', '24.0.0'].map((v) => runtimeHasReusePort(v)),
    ).toEqual([false, false, true, false, true, true]);
  });
});
