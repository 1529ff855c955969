import type { TrafficSplit } from '@nodemesh/smi-types';
import { describe, expect, it } from 'vitest';
import { meshService, readyEndpoints, routeGroup, split, topologyInputs } from '../../test/fixtures.js';
import { chooseBackend } from '../balancer/choose-target.js';
import type { Snapshot } from '../snapshot/snapshot.js';
import { snapshotToJson } from '../snapshot/snapshot-json.js';
import type { EndpointInput, MeshServiceInput } from './inputs.js';
import { createTopologyBuilder } from './topology-builder.js';

const orders = meshService('shop', 'orders', [{ port: 8080, targetPort: 5000 }], { clusterIP: '10.96.0.10' });
const ordersV2 = meshService('shop', 'orders-v2', [{ port: 8080, targetPort: 5000 }], {
  clusterIP: '10.96.0.11',
});
const db = meshService('shop', 'db', [{ name: 'pg', port: 5432, targetPort: 10000 }], { trafficType: 'tcp' });
const dns = meshService('shop', 'dns', [{ name: 'dns', port: 53, targetPort: 15000 }], {
  trafficType: 'udp',
});

const ep = (address: string, port: number, portName = ''): EndpointInput[] =>
  readyEndpoints([{ address, port }], portName);

describe('topology builder: golden snapshots', () => {
  const cases = [
    {
      name: 'an HTTP Service answers to its mesh name and ClusterIP, with and without the port',
      inputs: topologyInputs({ services: [orders], endpoints: { 'shop/orders': ep('10.0.0.1', 8000) } }),
      golden: {
        http: [
          {
            entrypoint: 5000,
            hosts: ['orders.shop.mesh', 'orders.shop.mesh:8080', '10.96.0.10', '10.96.0.10:8080'],
          },
        ],
        tcp: [],
        udp: [],
        endpoints: ['10.0.0.1:8000'],
        problems: [],
      },
    },
    {
      name: 'TCP and UDP Services get their allocated listener port, endpoints resolved by port name',
      inputs: topologyInputs({
        services: [db, dns],
        endpoints: { 'shop/db': ep('10.0.0.2', 5433, 'pg'), 'shop/dns': ep('10.0.0.3', 5353, 'dns') },
      }),
      golden: {
        http: [],
        tcp: [10000],
        udp: [15000],
        endpoints: ['10.0.0.2:5433', '10.0.0.3:5353'],
        problems: [],
      },
    },
    {
      name: 'not-ready and terminating endpoints are left out; an endpoint without the port too',
      inputs: topologyInputs({
        services: [orders],
        endpoints: {
          'shop/orders': [
            { address: '10.0.0.1', ports: { '': 8000 }, ready: true, serving: true, terminating: false },
            { address: '10.0.0.2', ports: { '': 8000 }, ready: false, serving: false, terminating: false },
            { address: '10.0.0.3', ports: { '': 8000 }, ready: false, serving: true, terminating: true },
            { address: '10.0.0.4', ports: { other: 1 }, ready: true, serving: true, terminating: false },
          ],
        },
      }),
      golden: {
        http: [
          {
            entrypoint: 5000,
            hosts: ['orders.shop.mesh', 'orders.shop.mesh:8080', '10.96.0.10', '10.96.0.10:8080'],
          },
        ],
        tcp: [],
        udp: [],
        endpoints: ['10.0.0.1:8000'],
        problems: [],
      },
    },
    {
      name: 'a split backend lacking the port gets no traffic and is reported; a missing one too',
      inputs: topologyInputs({
        services: [orders, db, ordersV2],
        splits: [
          split('shop', 'canary', 'orders', [
            ['orders', 1],
            ['db', 1],
            ['ghost', 1],
          ]),
        ],
      }),
      golden: {
        http: [
          {
            entrypoint: 5000,
            hosts: [
              'orders.shop.mesh',
              'orders.shop.mesh:8080',
              '10.96.0.10',
              '10.96.0.10:8080',
              'orders-v2.shop.mesh',
              'orders-v2.shop.mesh:8080',
              '10.96.0.11',
              '10.96.0.11:8080',
            ],
          },
        ],
        tcp: [10000],
        udp: [],
        endpoints: [],
        problems: ['TrafficSplit shop/canary BackendPortMissing', 'TrafficSplit shop/canary BackendNotFound'],
      },
    },
    {
      name: 'a split whose root does not exist, and a route group that does not, are reported',
      inputs: topologyInputs({
        services: [orders],
        splits: [
          split('shop', 'lost', 'nothing', [['orders', 1]]),
          split('shop', 'm', 'orders', [['orders', 1]], ['rg']),
        ],
      }),
      golden: {
        http: [
          {
            entrypoint: 5000,
            hosts: ['orders.shop.mesh', 'orders.shop.mesh:8080', '10.96.0.10', '10.96.0.10:8080'],
          },
        ],
        tcp: [],
        udp: [],
        endpoints: [],
        problems: ['TrafficSplit shop/lost RootNotFound', 'TrafficSplit shop/m RouteGroupNotFound'],
      },
    },
    {
      name: 'two Services on one TCP port: the first (by key) keeps it, the other is reported',
      inputs: topologyInputs({
        services: [
          db,
          meshService('shop', 'cache', [{ port: 6379, targetPort: 10000 }], { trafficType: 'tcp' }),
        ],
      }),
      golden: {
        http: [],
        tcp: [10000],
        udp: [],
        endpoints: [],
        problems: ['Service shop/db ListenerConflict'],
      },
    },
  ];

  for (const c of cases) {
    it(c.name, () => {
      const snapshot = createTopologyBuilder().build(c.inputs, 0);
      const json = snapshotToJson(snapshot);
      const endpoints = new Set<string>();
      for (const route of [
        ...snapshot.tcp.values(),
        ...snapshot.udp.values(),
        ...[...snapshot.http.values()].flatMap((e) => [...e.hosts.values()]),
      ]) {
        for (const e of route.root.endpoints) endpoints.add(e.key);
      }
      expect({
        http: json.http.map((e) => ({ entrypoint: e.entrypoint, hosts: Object.keys(e.hosts) })),
        tcp: json.tcp.map((t) => t.listener),
        udp: json.udp.map((u) => u.listener),
        endpoints: [...endpoints].sort(),
        problems: snapshot.problems.map((p) => `${p.kind} ${p.namespace}/${p.name} ${p.reason}`),
      }).toEqual(c.golden);
    });
  }

  it('a backend missing the port leaves the split with the others and their weights', () => {
    const snapshot = createTopologyBuilder().build(
      topologyInputs({
        services: [orders, ordersV2, db],
        splits: [
          split('shop', 'canary', 'orders', [
            ['orders', 75],
            ['orders-v2', 25],
            ['db', 50],
          ]),
        ],
      }),
    );
    const route = snapshot.http.get(5000)?.hosts.get('orders.shop.mesh');
    expect(route?.split?.backends.map((b) => [b.service.name, b.weight])).toEqual([
      ['orders', 75],
      ['orders-v2', 25],
    ]);
    expect(route?.split?.totalWeight).toBe(100);
    expect(route?.split?.matches).toBeUndefined();
  });

  it('honours the configured mesh domain', () => {
    const snapshot = createTopologyBuilder().build(
      topologyInputs({ services: [orders], meshDomain: 'corp' }),
    );
    expect(snapshot.http.get(5000)?.hosts.has('orders.shop.corp')).toBe(true);
    expect(snapshot.http.get(5000)?.hosts.has('orders.shop.mesh')).toBe(false);
  });

  it('compiles a split’s HTTPRouteGroup matches; an HTTP split without matches applies to all', () => {
    const group = routeGroup('shop', 'api', [
      { name: 'v2', pathRegex: '/v2', methods: ['GET'], headers: {} },
    ]);
    const snapshot = createTopologyBuilder().build(
      topologyInputs({
        services: [orders, ordersV2],
        splits: [split('shop', 'canary', 'orders', [['orders-v2', 1]], ['api'])],
        routeGroups: [group],
      }),
    );
    const route = snapshot.http.get(5000)?.hosts.get('orders.shop.mesh');
    expect(route?.split?.matches?.map((m) => m.name)).toEqual(['v2']);
  });
});

describe('topology builder: what it cannot honour', () => {
  const created = (s: TrafficSplit, at: string): TrafficSplit => ({
    ...s,
    creationTimestamp: at,
    uid: s.name,
  });
  const problemsOf = (snapshot: Snapshot) =>
    snapshot.problems.map((p) => `${p.kind} ${p.namespace}/${p.name} ${p.reason}`);

  it('two splits of one Service: the oldest is in effect, whatever the names; the newer one is reported', () => {
    const older = created(split('shop', 'z-stable', 'orders', [['orders', 1]]), '2026-01-01T00:00:00Z');
    const newer = created(split('shop', 'a-broken', 'orders', [['ghost', 1]]), '2026-01-02T00:00:00Z');
    for (const splits of [
      [older, newer],
      [newer, older],
    ]) {
      const snapshot = createTopologyBuilder().build(
        topologyInputs({ services: [orders, ordersV2], splits }),
      );
      expect(snapshot.http.get(5000)?.hosts.get('orders.shop.mesh')?.split?.name).toBe('z-stable');
      expect(problemsOf(snapshot)).toEqual(['TrafficSplit shop/a-broken DuplicateSplit']);
      const [problem] = snapshot.problems;
      expect(problem?.uid).toBe('a-broken');
      expect(problem?.message).toContain('older TrafficSplit "z-stable"');
    }
  });

  it('two splits created in the same second: the name decides', () => {
    const at = '2026-01-01T00:00:00Z';
    const snapshot = createTopologyBuilder().build(
      topologyInputs({
        services: [orders, ordersV2],
        splits: [
          created(split('shop', 'b', 'orders', [['orders', 1]]), at),
          created(split('shop', 'a', 'orders', [['orders-v2', 1]]), at),
        ],
      }),
    );
    expect(snapshot.http.get(5000)?.hosts.get('orders.shop.mesh')?.split?.name).toBe('a');
    expect(problemsOf(snapshot)).toEqual(['TrafficSplit shop/b DuplicateSplit']);
  });

  it('a split whose weights are all 0 is reported: its Service would answer nothing', () => {
    const snapshot = createTopologyBuilder().build(
      topologyInputs({
        services: [orders, ordersV2],
        splits: [
          split('shop', 'off', 'orders', [
            ['orders', 0],
            ['orders-v2', 0],
          ]),
        ],
      }),
    );
    expect(problemsOf(snapshot)).toEqual(['TrafficSplit shop/off NoWeight']);
  });

  it('traffic-type udp on a TCP port is reported: the port is proxied as raw TCP', () => {
    const mixed = meshService('shop', 'resolver', [{ name: 'dns-tcp', port: 53, targetPort: 10001 }], {
      trafficType: 'udp',
    });
    const tcpPort: MeshServiceInput = {
      ...mixed,
      ports: [{ name: 'dns-tcp', port: 53, protocol: 'TCP' }],
      shadow: {
        clusterIPs: ['10.96.0.53'],
        ports: [{ name: 'dns-tcp', protocol: 'TCP', port: 53, targetPort: 10001, trafficType: 'tcp' }],
      },
    };
    const snapshot = createTopologyBuilder().build(topologyInputs({ services: [tcpPort] }));
    expect(problemsOf(snapshot)).toEqual(['Service shop/resolver TrafficTypeMismatch']);
    expect(snapshot.problems[0]?.message).toContain('proxied as raw TCP');
  });

  it('HTTP route matches on a TCP port never widen the split: the port keeps going to the root', () => {
    const group = routeGroup('shop', 'api', [{ name: 'v2', pathRegex: '/v2', methods: [], headers: {} }]);
    const cache = meshService('shop', 'cache', [{ port: 6379, targetPort: 10002 }], { trafficType: 'tcp' });
    const cacheV2 = meshService('shop', 'cache-v2', [{ port: 6379, targetPort: 10003 }], {
      trafficType: 'tcp',
    });
    const snapshot = createTopologyBuilder().build(
      topologyInputs({
        services: [cache, cacheV2],
        splits: [split('shop', 'canary', 'cache', [['cache-v2', 1]], ['api'])],
        routeGroups: [group],
      }),
    );
    const route = snapshot.tcp.get(10002);
    expect(route === undefined ? undefined : chooseBackend(route, () => 0.5)?.service.name).toBe('cache');
    expect(problemsOf(snapshot)).toEqual(['TrafficSplit shop/canary MatchesNotApplicable']);
  });
});

describe('topology builder: incremental', () => {
  const base = {
    services: [orders, ordersV2, db],
    endpoints: {
      'shop/orders': ep('10.0.0.1', 80),
      'shop/orders-v2': ep('10.0.0.2', 80),
      'shop/db': ep('10.0.0.3', 5432, 'pg'),
    },
  };

  it('versions increase and an unchanged input rebuilds nothing', () => {
    const builder = createTopologyBuilder();
    const first = builder.build(topologyInputs(base));
    const inputs = topologyInputs(base);
    const second = builder.build(inputs);
    expect(second.version).toBe(first.version + 1);
    expect(builder.lastBuild).toEqual({ rebuiltServices: 0, reusedServices: 3 });
    expect(second.tcp.get(10000)).toBe(first.tcp.get(10000));
  });

  it('new endpoints of one Service rebuild only that Service; the other routes are the same objects', () => {
    const builder = createTopologyBuilder();
    const first = builder.build(topologyInputs(base));
    const second = builder.build(
      topologyInputs({ ...base, endpoints: { ...base.endpoints, 'shop/orders': ep('10.0.0.9', 80) } }),
    );
    expect(builder.lastBuild).toEqual({ rebuiltServices: 1, reusedServices: 2 });
    expect(second.http.get(5000)?.hosts.get('orders.shop.mesh')?.root.endpoints[0]?.key).toBe('10.0.0.9:80');
    expect(second.http.get(5000)?.hosts.get('orders-v2.shop.mesh')).toBe(
      first.http.get(5000)?.hosts.get('orders-v2.shop.mesh'),
    );
    expect(second.tcp.get(10000)).toBe(first.tcp.get(10000));
  });

  it('a split rebuilds its root when a backend’s endpoints change', () => {
    const builder = createTopologyBuilder();
    const splits = [
      split('shop', 'canary', 'orders', [
        ['orders', 1],
        ['orders-v2', 1],
      ]),
    ];
    builder.build(topologyInputs({ ...base, splits }));
    const next = builder.build(
      topologyInputs({
        ...base,
        splits,
        endpoints: { ...base.endpoints, 'shop/orders-v2': ep('10.0.0.8', 80) },
      }),
    );
    // orders-v2 itself and orders (whose split names it) are rebuilt; db is not.
    expect(builder.lastBuild).toEqual({ rebuiltServices: 2, reusedServices: 1 });
    const backends = next.http.get(5000)?.hosts.get('orders.shop.mesh')?.split?.backends;
    expect(backends?.[1]?.endpoints.map((e) => e.key)).toEqual(['10.0.0.8:80']);
  });

  it('a removed Service disappears and its listener port with it', () => {
    const builder = createTopologyBuilder();
    builder.build(topologyInputs(base));
    const next = builder.build(topologyInputs({ ...base, services: [orders, ordersV2] }));
    expect(next.tcp.size).toBe(0);
  });
});

describe('topology builder: what the tunnel needs of a backend', () => {
  it('keeps each endpoint’s node and the backend’s mTLS mode; a change of either rebuilds the Service', () => {
    const builder = createTopologyBuilder();
    const strictOrders: MeshServiceInput = { ...orders, mtlsMode: 'strict' };
    const endpoints = [
      { ...ep('10.0.0.1', 8000)[0], nodeName: 'node-b' },
      ...ep('10.0.0.2', 8000),
    ] as EndpointInput[];
    const first = builder.build(
      topologyInputs({ services: [strictOrders], endpoints: { 'shop/orders': endpoints } }),
    );
    const route = first.http.get(5000)?.hosts.get('orders.shop.mesh');
    expect(route?.root.mtlsMode).toBe('strict');
    expect(route?.root.endpoints.map((e) => e.nodeName)).toEqual(['node-b', undefined]);
    // A Service input without a mode gets the mesh-wide default.
    const second = builder.build(
      topologyInputs({ services: [orders], endpoints: { 'shop/orders': endpoints } }),
    );
    expect(second.http.get(5000)?.hosts.get('orders.shop.mesh')?.root.mtlsMode).toBe('permissive');
  });
});
