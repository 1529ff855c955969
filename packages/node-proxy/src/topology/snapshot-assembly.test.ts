import { describe, expect, it } from 'vitest';
import { meshService, readyEndpoints, split, topologyInputs } from '../../test/fixtures.js';
import type { Snapshot } from '../snapshot/snapshot.js';
import { snapshotToJson } from '../snapshot/snapshot-json.js';
import type { EndpointInput, MeshServiceInput, TopologyInputs } from './inputs.js';
import { createTopologyBuilder } from './topology-builder.js';

const ep = (address: string, port: number, portName = ''): EndpointInput[] =>
  readyEndpoints([{ address, port }], portName);

/** Everything a snapshot says, in iteration order, without its version and build time. */
function content(snapshot: Snapshot): string {
  const { version: _v, builtAt: _b, ...rest } = snapshotToJson(snapshot);
  return JSON.stringify({
    ...rest,
    http: [...snapshot.http.values()].map((e) => [e.port, [...e.hosts.keys()], rest.http]),
    services: [...snapshot.services.keys()],
  });
}

function withService(inputs: TopologyInputs, service: MeshServiceInput): TopologyInputs {
  const services = new Map(inputs.services);
  services.set(`${service.namespace}/${service.name}`, service);
  return { ...inputs, services };
}

function withEndpoints(inputs: TopologyInputs, key: string, endpoints: EndpointInput[]): TopologyInputs {
  return { ...inputs, endpoints: new Map(inputs.endpoints).set(key, endpoints) };
}

describe('snapshot assembly: patched and full assemblies agree', () => {
  const orders = meshService('shop', 'orders', [{ port: 8080, targetPort: 5000 }], {
    clusterIP: '10.96.0.10',
  });
  const ordersV2 = meshService('shop', 'orders-v2', [{ port: 8080, targetPort: 5000 }], {
    clusterIP: '10.96.0.11',
  });
  // Same ClusterIP as orders: loses those Host keys to it (a ListenerConflict).
  const clash = meshService('shop', 'zz-clash', [{ port: 8080, targetPort: 5000 }], {
    clusterIP: '10.96.0.10',
  });
  const db = meshService('shop', 'db', [{ name: 'pg', port: 5432, targetPort: 10000 }], {
    trafficType: 'tcp',
  });
  const dns = meshService('shop', 'dns', [{ name: 'dns', port: 53, targetPort: 15000 }], {
    trafficType: 'udp',
  });
  const start = topologyInputs({
    services: [orders, ordersV2, clash, db, dns],
    endpoints: {
      'shop/orders': ep('10.0.0.1', 8000),
      'shop/orders-v2': ep('10.0.0.2', 8000),
      'shop/zz-clash': ep('10.0.0.3', 8000),
      'shop/db': ep('10.0.0.4', 5433, 'pg'),
      'shop/dns': ep('10.0.0.5', 5353, 'dns'),
    },
    splits: [
      split('shop', 'canary', 'orders', [
        ['orders', 50],
        ['orders-v2', 50],
      ]),
    ],
  });

  const steps: [string, (i: TopologyInputs) => TopologyInputs][] = [
    ['an HTTP Service endpoint changes', (i) => withEndpoints(i, 'shop/orders', ep('10.0.0.9', 8000))],
    ['a split backend endpoint changes', (i) => withEndpoints(i, 'shop/orders-v2', ep('10.0.0.8', 8000))],
    ['a TCP Service endpoint changes', (i) => withEndpoints(i, 'shop/db', ep('10.0.0.7', 5433, 'pg'))],
    ['a UDP Service endpoint changes', (i) => withEndpoints(i, 'shop/dns', [])],
    ['the conflict loser changes', (i) => withEndpoints(i, 'shop/zz-clash', ep('10.0.0.6', 8000))],
    [
      'a config changes',
      (i) =>
        withService(
          i,
          meshService('shop', 'orders', [{ port: 8080, targetPort: 5000 }], {
            clusterIP: '10.96.0.10',
            scheme: 'h2c',
          }),
        ),
    ],
    [
      'a ClusterIP changes',
      (i) =>
        withService(
          i,
          meshService('shop', 'orders', [{ port: 8080, targetPort: 5000 }], { clusterIP: '10.96.0.20' }),
        ),
    ],
    [
      'a listener port changes',
      (i) =>
        withService(
          i,
          meshService('shop', 'db', [{ name: 'pg', port: 5432, targetPort: 10001 }], { trafficType: 'tcp' }),
        ),
    ],
    [
      'a Service is added',
      (i) =>
        withService(
          i,
          meshService('shop', 'aa-new', [{ port: 80, targetPort: 5000 }], { clusterIP: '10.96.0.10' }),
        ),
    ],
    [
      'a Service is removed',
      (i) => ({ ...i, services: new Map([...i.services].filter(([k]) => k !== 'shop/aa-new')) }),
    ],
    ['nothing changes', (i) => ({ ...i })],
  ];

  it('gives, after each change, the snapshot a fresh builder gives', () => {
    const builder = createTopologyBuilder();
    let inputs = start;
    builder.build(inputs);
    for (const [name, change] of steps) {
      inputs = change(inputs);
      const incremental = builder.build(inputs);
      const fresh = createTopologyBuilder().build(inputs);
      expect(content(incremental), name).toBe(content(fresh));
    }
  });

  it('keeps the maps an endpoint change does not touch', () => {
    const builder = createTopologyBuilder();
    const before = builder.build(start);
    const after = builder.build(withEndpoints(start, 'shop/orders', ep('10.0.0.9', 8000)));
    expect(after.tcp).toBe(before.tcp);
    expect(after.udp).toBe(before.udp);
    expect(after.services).toBe(before.services);
    expect(after.http.get(5000)?.hosts.get('orders.shop.mesh')?.root.endpoints[0]?.key).toBe('10.0.0.9:8000');
  });
});
