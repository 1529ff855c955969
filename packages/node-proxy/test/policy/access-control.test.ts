import { createSocket } from 'node:dgram';
import { connect as connectH2 } from 'node:http2';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type NodeProxy, snapshotToJson, staticCallers } from '../../src/index.js';
import type { TopologyInputs } from '../../src/topology/inputs.js';
import { meshService, readyEndpoints, routeGroup, split, topologyInputs } from '../fixtures.js';
import { httpBackend, Resources, startProxy, tcpEchoBackend, udpEchoBackend } from '../support.js';
import {
  CALLER_IPS,
  httpCall,
  metricValue,
  tcpCall,
  tcpRoute,
  trafficTarget,
  udpCall,
  udpRoute,
  withAccess,
  withPolicy,
} from './policy-fixtures.js';

const callers = staticCallers(
  new Map([
    [CALLER_IPS.a, { namespace: 'web', workload: 'frontend', serviceAccount: 'frontend' }],
    [CALLER_IPS.c, { namespace: 'web', workload: 'crawler', serviceAccount: 'crawler' }],
  ]),
);
const A = { namespace: 'web', name: 'frontend' };
const ORDERS_SA = { namespace: 'shop', name: 'orders' };
const ALL_HTTP = [{ kind: 'HTTPRouteGroup' as const, name: 'all', matches: [] }];
const allRoutes = routeGroup('shop', 'all', [{ name: 'any', methods: ['*'], headers: {} }]);

let resources: Resources;
let proxy: NodeProxy;
let base: TopologyInputs;
let http: number;

beforeEach(async () => {
  resources = new Resources();
  const web = await httpBackend(resources, 'orders');
  const tcp = await tcpEchoBackend(resources);
  const udp = await udpEchoBackend(resources, 'dns');
  base = topologyInputs({
    services: [
      withPolicy(meshService('shop', 'orders', [{ port: 80, targetPort: 5000 }]), {
        serviceAccounts: ['orders'],
      }),
      withPolicy(meshService('shop', 'db', [{ port: 5432, targetPort: 10000 }], { trafficType: 'tcp' }), {
        serviceAccounts: ['db'],
      }),
      withPolicy(meshService('shop', 'dns', [{ port: 53, targetPort: 15000 }], { trafficType: 'udp' }), {
        serviceAccounts: ['dns'],
      }),
    ],
    endpoints: {
      'shop/orders': readyEndpoints([{ address: '127.0.0.1', port: web.port }]),
      'shop/db': readyEndpoints([{ address: '127.0.0.1', port: tcp }]),
      'shop/dns': readyEndpoints([{ address: '127.0.0.1', port: udp }]),
    },
  });
  proxy = await startProxy(resources, { accessControl: true, callers });
  await proxy.applyInputs(base);
  http = proxy.boundPort('http', 5000) ?? 0;
});
afterEach(async () => {
  await resources.closeAll();
});

async function metrics(): Promise<string> {
  return proxy.metrics.registry.metrics();
}

describe('access control on', () => {
  it('with no TrafficTarget denies HTTP (403), closes TCP at once and drops UDP, each counted', async () => {
    const answer = await httpCall(http);
    expect(answer.status).toBe(403);
    expect(answer.headers['x-nodemesh-error']).toBe('NM_ACCESS_DENIED');
    expect(answer.body).toContain('no traffic target');
    expect(await tcpCall(proxy.boundPort('tcp', 10000) ?? 0, CALLER_IPS.a, 'hello')).toBe('');
    expect(await udpCall(proxy.boundPort('udp', 15000) ?? 0, CALLER_IPS.a, 'q')).toBeUndefined();
    const text = await metrics();
    for (const protocol of ['http', 'tcp', 'udp']) {
      expect(metricValue(text, 'nodemesh_denied_total', { protocol, reason: 'no_traffic_target' })).toBe(1);
    }
    expect(metricValue(text, 'nodemesh_http_proxy_errors_total', { error_kind: 'access_denied' })).toBe(1);
  });

  it('a TrafficTarget A→orders lets A in and keeps C out; removing it blocks A again', async () => {
    const allow = trafficTarget('orders-from-frontend', ORDERS_SA, [A], ALL_HTTP);
    await proxy.applyInputs(withAccess(base, { targets: [allow], routeGroups: [allRoutes] }));
    expect((await httpCall(http, { from: CALLER_IPS.a })).status).toBe(200);
    expect(snapshotToJson(proxy.snapshot).access.grants).toEqual({
      'shop/orders': {
        'web/frontend': [
          {
            trafficTarget: 'shop/orders-from-frontend',
            port: null,
            httpMatches: ['any'],
            tcpPorts: null,
            udpPorts: null,
          },
        ],
      },
    });
    const denied = await httpCall(http, { from: CALLER_IPS.c });
    expect(denied.status).toBe(403);
    expect((await httpCall(http, { from: CALLER_IPS.stranger })).status).toBe(403);
    await proxy.applyInputs(withAccess(base, { routeGroups: [allRoutes] }));
    expect((await httpCall(http, { from: CALLER_IPS.a })).status).toBe(403);
    expect(snapshotToJson(proxy.snapshot).access.grants).toEqual({});
    // The change took effect with the snapshot, on the same listener (not reopened).
    expect(proxy.boundPort('http', 5000)).toBe(http);
    const text = await metrics();
    expect(
      metricValue(text, 'nodemesh_denied_total', {
        reason: 'source_not_allowed',
        source_workload: 'crawler',
      }),
    ).toBe(1);
    expect(metricValue(text, 'nodemesh_denied_total', { reason: 'unknown_source' })).toBe(1);
  });

  it('enforces HTTPRouteGroup matches: only /metrics, then only GET', async () => {
    const metricsOnly = routeGroup('shop', 'routes', [
      { name: 'metrics', pathRegex: '/metrics(/.*)?', methods: ['*'], headers: {} },
      { name: 'reads', methods: ['GET'], headers: {} },
    ]);
    const ruleFor = (match: string) => [
      { kind: 'HTTPRouteGroup' as const, name: 'routes', matches: [match] },
    ];
    await proxy.applyInputs(
      withAccess(base, {
        targets: [trafficTarget('t', ORDERS_SA, [A], ruleFor('metrics'))],
        routeGroups: [metricsOnly],
      }),
    );
    expect((await httpCall(http, { path: '/metrics' })).status).toBe(200);
    expect((await httpCall(http, { path: '/metrics/x?y=1', method: 'POST', body: 'x' })).status).toBe(200);
    expect((await httpCall(http, { path: '/orders' })).status).toBe(403);
    expect((await httpCall(http, { path: '/x/metrics' })).status).toBe(403);

    await proxy.applyInputs(
      withAccess(base, {
        targets: [trafficTarget('t', ORDERS_SA, [A], ruleFor('reads'))],
        routeGroups: [metricsOnly],
      }),
    );
    expect((await httpCall(http, { path: '/orders' })).status).toBe(200);
    expect((await httpCall(http, { path: '/orders', method: 'DELETE' })).status).toBe(403);
    expect(metricValue(await metrics(), 'nodemesh_denied_total', { reason: 'no_matching_rule' })).toBe(3);
  });

  it('a catastrophic regex in a match still answers promptly (RE2: linear time)', async () => {
    const evil = routeGroup('shop', 'evil', [
      { name: 'e', pathRegex: '/(a+)+$', methods: ['*'], headers: { 'x-q': '(a|aa)+$' } },
    ]);
    await proxy.applyInputs(
      withAccess(base, {
        targets: [
          trafficTarget('t', ORDERS_SA, [A], [{ kind: 'HTTPRouteGroup', name: 'evil', matches: [] }]),
        ],
        routeGroups: [evil],
      }),
    );
    const long = 'a'.repeat(5_000);
    const answer = await httpCall(http, {
      path: `/${long}!`,
      headers: { 'x-q': `${long}!` },
      timeoutMs: 5_000,
    });
    expect(answer.status).toBe(403);
    expect((await httpCall(http, { path: `/${long}`, headers: { 'x-q': long } })).status).toBe(200);
  });

  it('TCP and UDP TrafficTargets allow by port', async () => {
    const tcpPort = proxy.boundPort('tcp', 10000) ?? 0;
    const udpPort = proxy.boundPort('udp', 15000) ?? 0;
    const targets = [
      trafficTarget(
        'db',
        { namespace: 'shop', name: 'db' },
        [A],
        [{ kind: 'TCPRoute', name: 'pg', matches: [] }],
      ),
      trafficTarget(
        'dns',
        { namespace: 'shop', name: 'dns' },
        [A],
        [{ kind: 'UDPRoute', name: 'dns', matches: [] }],
      ),
    ];
    await proxy.applyInputs(
      withAccess(base, {
        targets,
        tcpRoutes: [tcpRoute('shop', 'pg', [5432])],
        udpRoutes: [udpRoute('shop', 'dns', [53])],
      }),
    );
    expect(await tcpCall(tcpPort, CALLER_IPS.a, 'hello')).toBe('hellobye');
    expect(await tcpCall(tcpPort, CALLER_IPS.c, 'hello')).toBe('');
    expect(await udpCall(udpPort, CALLER_IPS.a, 'q', 2_000)).toBe('dns:q');
    expect(await udpCall(udpPort, CALLER_IPS.c, 'q')).toBeUndefined();

    // Routes for other ports allow nothing here.
    await proxy.applyInputs(
      withAccess(base, {
        targets,
        tcpRoutes: [tcpRoute('shop', 'pg', [5433])],
        udpRoutes: [udpRoute('shop', 'dns', [54])],
      }),
    );
    expect(await tcpCall(tcpPort, CALLER_IPS.a, 'hello')).toBe('');
    expect(await udpCall(udpPort, CALLER_IPS.a, 'q')).toBeUndefined();
    const text = await metrics();
    expect(metricValue(text, 'nodemesh_denied_total', { protocol: 'tcp', reason: 'no_matching_rule' })).toBe(
      1,
    );
    expect(
      metricValue(text, 'nodemesh_denied_total', { protocol: 'udp', reason: 'source_not_allowed' }),
    ).toBe(1);
  });

  it('an open UDP session is checked again when a new snapshot removes its TrafficTarget', async () => {
    const udpPort = proxy.boundPort('udp', 15000) ?? 0;
    const targets = [
      trafficTarget(
        'dns',
        { namespace: 'shop', name: 'dns' },
        [A],
        [{ kind: 'UDPRoute', name: 'dns', matches: [] }],
      ),
    ];
    await proxy.applyInputs(withAccess(base, { targets, udpRoutes: [udpRoute('shop', 'dns', [53])] }));
    const socket = createSocket('udp4');
    resources.add(socket, (s) => new Promise<void>((resolve) => s.close(() => resolve())));
    await new Promise<void>((resolve) => socket.bind(0, CALLER_IPS.a, resolve));
    const replies: string[] = [];
    socket.on('message', (data) => replies.push(data.toString()));
    const exchange = async (message: string) => {
      socket.send(message, udpPort, '127.0.0.1');
      for (let i = 0; i < 20 && !replies.includes(`dns:${message}`); i++) {
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    };
    await exchange('one');
    expect(replies).toEqual(['dns:one']);
    await proxy.applyInputs(withAccess(base, { udpRoutes: [udpRoute('shop', 'dns', [53])] }));
    await exchange('two');
    expect(replies).toEqual(['dns:one']);
  });

  it('denies an HTTP/2 (h2c) caller like an HTTP/1.1 one', async () => {
    const session = connectH2(`http://127.0.0.1:${http}`, { localAddress: CALLER_IPS.c } as object);
    resources.add(session, (s) => new Promise<void>((resolve) => s.close(() => resolve())));
    session.on('error', () => undefined);
    const status = await new Promise<number>((resolve, reject) => {
      const stream = session.request({ ':path': '/', ':authority': 'orders.shop.mesh' });
      stream.setTimeout(3_000, () => reject(new Error('no HTTP/2 answer')));
      stream.on('response', (headers) => resolve(Number(headers[':status'])));
      stream.on('error', reject);
      stream.resume();
      stream.end();
    });
    expect(status).toBe(403);
  });

  it('behind a TrafficSplit the chosen backend is checked', async () => {
    const v2 = await httpBackend(resources, 'orders-v2');
    const services = [...base.services.values()];
    const inputs = topologyInputs({
      services: [
        ...services,
        withPolicy(meshService('shop', 'orders-v2', [{ port: 80, targetPort: 5000 }], { shadow: false }), {
          serviceAccounts: ['orders-v2'],
        }),
      ],
      endpoints: {
        ...Object.fromEntries(base.endpoints),
        'shop/orders-v2': readyEndpoints([{ address: '127.0.0.1', port: v2.port }]),
      },
      splits: [split('shop', 's', 'orders', [['orders-v2', 1]])],
    });
    const allowOrders = trafficTarget('t', ORDERS_SA, [A], ALL_HTTP);
    await proxy.applyInputs(withAccess(inputs, { targets: [allowOrders], routeGroups: [allRoutes] }));
    const denied = await httpCall(http);
    expect(denied.status).toBe(403);
    expect(denied.body).toContain('orders-v2.shop');
    const allowV2 = trafficTarget('t2', { namespace: 'shop', name: 'orders-v2' }, [A], ALL_HTTP);
    await proxy.applyInputs(
      withAccess(inputs, { targets: [allowOrders, allowV2], routeGroups: [allRoutes] }),
    );
    const allowed = await httpCall(http);
    expect(allowed.status).toBe(200);
    expect(allowed.headers['x-backend']).toBe('orders-v2');
  });

  it('drops identity headers a caller could forge', async () => {
    await proxy.applyInputs(
      withAccess(base, { targets: [trafficTarget('t', ORDERS_SA, [A], ALL_HTTP)], routeGroups: [allRoutes] }),
    );
    const answer = await httpCall(http, {
      headers: {
        'x-forwarded-client-cert': 'By=spiffe://x',
        'l5d-client-id': 'admin',
        'x-nodemesh-caller': 'root',
        'x-ok': '1',
      },
    });
    const seen = JSON.parse(answer.body).headers as Record<string, string>;
    expect(seen['x-ok']).toBe('1');
    expect(seen['x-forwarded-client-cert']).toBeUndefined();
    expect(seen['l5d-client-id']).toBeUndefined();
    expect(seen['x-nodemesh-caller']).toBeUndefined();
  });
});

describe('access control off', () => {
  it('lets every call through, unknown callers too', async () => {
    const open = await startProxy(resources, { callers });
    await open.applyInputs(base);
    const port = open.boundPort('http', 5000) ?? 0;
    expect((await httpCall(port, { from: CALLER_IPS.stranger })).status).toBe(200);
    expect(await tcpCall(open.boundPort('tcp', 10000) ?? 0, CALLER_IPS.c, 'x')).toBe('xbye');
  });
});
