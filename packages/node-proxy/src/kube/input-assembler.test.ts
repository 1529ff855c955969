import type { Change } from '@nodemesh/kube-runtime';
import {
  allocatePorts,
  DEFAULT_MTLS_MODE,
  DEFAULT_TCP_PORT_RANGE,
  DEFAULT_UDP_PORT_RANGE,
  desiredShadowService,
  readUserService,
  SHADOW_ANNOTATION_MTLS_MODE,
  SHADOW_ANNOTATION_SERVICE_ACCOUNTS,
} from '@nodemesh/smi-types';
import { beforeEach, describe, expect, it } from 'vitest';
import { InputAssembler } from './input-assembler.js';
import type { Rejection } from './rejection.js';

let version = 0;
const rv = () => String(++version);

function service(
  name: string,
  annotations: Record<string, string> = {},
  ports = [{ name: 'http', port: 80 }],
) {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { namespace: 'shop', name, uid: `uid-${name}`, resourceVersion: rv(), annotations },
    spec: {
      type: 'ClusterIP',
      clusterIP: '10.96.0.5',
      clusterIPs: ['10.96.0.5'],
      selector: { app: name },
      ports: ports.map((p) => ({ ...p, protocol: 'TCP', targetPort: 8080 })),
    },
  };
}

/** The shadow the dns-controller would write, with a ClusterIP and optional annotations. */
function shadowOf(user: ReturnType<typeof service>, extra: Record<string, string> = {}) {
  const parsed = readUserService(user);
  if (!parsed.ok) throw new Error('bad fixture');
  const trafficType = (user.metadata.annotations['nodemesh.io/traffic-type'] ?? 'http') as 'http' | 'tcp';
  const table = allocatePorts({
    existing: [],
    services: [
      { of: { namespace: 'shop', name: user.metadata.name }, trafficType, ports: parsed.value.ports },
    ],
    tcpRange: DEFAULT_TCP_PORT_RANGE,
    udpRange: DEFAULT_UDP_PORT_RANGE,
  });
  const manifest = desiredShadowService(parsed.value, { trafficType }, table, { meshNamespace: 'nodemesh' });
  return {
    ...manifest,
    metadata: {
      ...manifest.metadata,
      resourceVersion: rv(),
      annotations: { ...manifest.metadata.annotations, ...extra },
    },
    spec: { ...manifest.spec, clusterIP: '10.96.1.5', clusterIPs: ['10.96.1.5'] },
  };
}

function slice(name: string, serviceName: string, addresses: [string, boolean][]) {
  return {
    metadata: {
      namespace: 'shop',
      name,
      resourceVersion: rv(),
      labels: { 'kubernetes.io/service-name': serviceName },
    },
    addressType: 'IPv4',
    ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
    endpoints: addresses.map(([ip, ready]) => ({ addresses: [ip], conditions: { ready } })),
  };
}

function split(name: string, backends: { service: string; weight: unknown }[]) {
  return {
    apiVersion: 'split.smi-spec.io/v1alpha4',
    kind: 'TrafficSplit',
    metadata: { namespace: 'shop', name, resourceVersion: rv() },
    spec: { service: 'orders', backends },
  };
}

const keyOf = (obj: { metadata: { namespace: string; name: string } }) =>
  `${obj.metadata.namespace}/${obj.metadata.name}`;
const added = (...objs: { metadata: { namespace: string; name: string } }[]) =>
  new Map<string, Change<unknown>>(objs.map((o) => [keyOf(o), { previous: undefined, current: o }]));
const updated = (previous: { metadata: { namespace: string; name: string } }, current: unknown) =>
  new Map<string, Change<unknown>>([[keyOf(previous), { previous, current }]]);
const deleted = (obj: { metadata: { namespace: string; name: string } }) =>
  new Map<string, Change<unknown>>([[keyOf(obj), { previous: obj, current: undefined }]]);

let rejections: Rejection[];
let assembler: InputAssembler;

beforeEach(() => {
  rejections = [];
  assembler = new InputAssembler({
    meshDomain: 'mesh',
    meshNamespace: 'nodemesh',
    httpEntrypoints: 10,
    tcpPorts: DEFAULT_TCP_PORT_RANGE,
    udpPorts: DEFAULT_UDP_PORT_RANGE,
    onRejected: (r) => rejections.push(r),
  });
});

describe('InputAssembler', () => {
  it('joins a Service, its annotations and its shadow (by labels) into one input with ServiceAccounts', () => {
    const orders = service('orders', { 'nodemesh.io/scheme': 'h2c' });
    const shadow = shadowOf(orders, { [SHADOW_ANNOTATION_SERVICE_ACCOUNTS]: 'orders,payments' });
    assembler.apply({ services: added(orders), shadows: added(shadow) });
    const input = assembler.inputs().services.get('shop/orders');
    expect(input?.config.scheme).toBe('h2c');
    expect(input?.shadow?.clusterIPs).toEqual(['10.96.1.5']);
    expect(input?.shadow?.ports).toEqual([
      { name: 'http', protocol: 'TCP', port: 80, targetPort: 5000, trafficType: 'http' },
    ]);
    expect(input?.serviceAccounts).toEqual(['orders', 'payments']);
    expect(rejections).toEqual([]);
  });

  it('takes the mTLS mode from the shadow, else the proxy default; a bad mode keeps the last good shadow', () => {
    const strictAssembler = new InputAssembler({
      meshDomain: 'mesh',
      meshNamespace: 'nodemesh',
      httpEntrypoints: 10,
      tcpPorts: DEFAULT_TCP_PORT_RANGE,
      udpPorts: DEFAULT_UDP_PORT_RANGE,
      onRejected: (r) => rejections.push(r),
      mtlsMode: 'strict',
    });
    const orders = service('orders');
    const payments = service('payments');
    const ordersShadow = shadowOf(orders, { [SHADOW_ANNOTATION_MTLS_MODE]: 'off' });
    strictAssembler.apply({
      services: added(orders, payments),
      shadows: added(ordersShadow, shadowOf(payments)),
    });
    expect(strictAssembler.inputs().services.get('shop/orders')?.mtlsMode).toBe('off');
    expect(strictAssembler.inputs().services.get('shop/payments')?.mtlsMode).toBe('strict');
    // Without a default of its own, the assembler uses the mesh-wide default.
    assembler.apply({ services: added(payments), shadows: added(shadowOf(payments)) });
    expect(assembler.inputs().services.get('shop/payments')?.mtlsMode).toBe(DEFAULT_MTLS_MODE);
    // A mode the proxy cannot read is not taken for a weaker one: the last good shadow stays.
    strictAssembler.apply({
      shadows: updated(ordersShadow, shadowOf(orders, { [SHADOW_ANNOTATION_MTLS_MODE]: 'sometimes' })),
    });
    expect(strictAssembler.inputs().services.get('shop/orders')?.mtlsMode).toBe('off');
    expect(rejections.map((r) => r.message).join()).toContain('nodemesh.io/mtls-mode');
  });

  it('has no ServiceAccounts when the shadow has no annotation, and no shadow for a Service without one', () => {
    const orders = service('orders');
    const v1 = service('orders-v1');
    assembler.apply({ services: added(orders, v1), shadows: added(shadowOf(orders)) });
    const { services } = assembler.inputs();
    expect(services.get('shop/orders')?.serviceAccounts).toEqual([]);
    expect(services.get('shop/orders-v1')?.shadow).toBeUndefined();
  });

  it('ignores Services of the mesh namespace (the shadows themselves) as user Services', () => {
    const orders = service('orders');
    const shadow = shadowOf(orders);
    assembler.apply({ services: added(orders, shadow), shadows: added(shadow) });
    expect([...assembler.inputs().services.keys()]).toEqual(['shop/orders']);
  });

  it('keeps the identity of inputs nothing changed, so the builder memo hits', () => {
    const orders = service('orders');
    const payments = service('payments');
    assembler.apply({
      services: added(orders, payments),
      endpointSlices: added(slice('orders-1', 'orders', [['10.1.0.1', true]])),
    });
    const first = assembler.inputs();
    const payments2 = { ...payments, metadata: { ...payments.metadata, resourceVersion: rv() } };
    payments2.metadata.annotations = { 'nodemesh.io/scheme': 'h2c' };
    assembler.apply({ services: updated(payments, payments2) });
    const second = assembler.inputs();
    expect(second.services.get('shop/orders')).toBe(first.services.get('shop/orders'));
    expect(second.services.get('shop/payments')).not.toBe(first.services.get('shop/payments'));
    expect(second.endpoints.get('shop/orders')).toBe(first.endpoints.get('shop/orders'));
    expect(second.trafficSplits).toBe(first.trafficSplits);
  });

  it('keeps the last good config when annotations go bad, with a rejection naming the field', () => {
    const good = service('orders', { 'nodemesh.io/retry-attempts': '2' });
    assembler.apply({ services: added(good) });
    const bad = service('orders', { 'nodemesh.io/retry-attempts': 'many' });
    assembler.apply({ services: updated(good, bad) });
    expect(assembler.inputs().services.get('shop/orders')?.config.retry?.attempts).toBe(2);
    expect(rejections).toHaveLength(1);
    expect(rejections[0]?.reason).toBe('InvalidAnnotations');
    expect(rejections[0]?.object).toMatchObject({ kind: 'Service', namespace: 'shop', name: 'orders' });
    expect(rejections[0]?.message).toContain('metadata.annotations["nodemesh.io/retry-attempts"]');
    expect(rejections[0]?.message).toContain('last good configuration stays in effect');
  });

  it('leaves out a Service whose annotations were never valid', () => {
    assembler.apply({ services: added(service('orders', { 'nodemesh.io/scheme': 'tls' })) });
    expect(assembler.inputs().services.has('shop/orders')).toBe(false);
    expect(rejections[0]?.message).toContain('stays out of the mesh until fixed');
  });

  it('takes the traffic type of a Service without the annotation from its shadow', () => {
    const db = service('db', { 'nodemesh.io/traffic-type': 'tcp' });
    const shadow = shadowOf(db);
    const plain = { ...db, metadata: { ...db.metadata, annotations: {} } };
    assembler.apply({ services: added(plain), shadows: added(shadow) });
    expect(assembler.inputs().services.get('shop/db')?.config.trafficType).toBe('tcp');
  });

  it('keeps the last good TrafficSplit when a new version is invalid, and reports it with field paths', () => {
    const good = split('s', [
      { service: 'orders-v1', weight: 100 },
      { service: 'orders-v2', weight: 0 },
    ]);
    assembler.apply({ smi: { TrafficSplit: added(good) } });
    const bad = split('s', [
      { service: 'orders-v1', weight: 0 },
      { service: 'orders-v1', weight: 100 },
    ]);
    assembler.apply({ smi: { TrafficSplit: updated(good, bad) } });
    const splits = assembler.inputs().trafficSplits;
    expect(splits.map((s) => s.backends.map((b) => b.weight))).toEqual([[100, 0]]);
    expect(rejections).toMatchObject([
      {
        reason: 'InvalidTrafficSplit',
        object: {
          kind: 'TrafficSplit',
          apiVersion: 'split.smi-spec.io/v1alpha4',
          namespace: 'shop',
          name: 's',
        },
      },
    ]);
    expect(rejections[0]?.message).toMatch(/spec\.backends\[1\]/);
  });

  it('fills in apiVersion and kind that list items may lack, and fills every policy input', () => {
    const target = {
      metadata: { namespace: 'shop', name: 't', resourceVersion: rv() },
      spec: {
        destination: { kind: 'ServiceAccount', name: 'orders' },
        sources: [{ kind: 'ServiceAccount', name: 'web' }],
        rules: [{ kind: 'TCPRoute', name: 'all' }],
      },
    };
    const tcp = { metadata: { namespace: 'shop', name: 'all', resourceVersion: rv() }, spec: {} };
    const udp = { metadata: { namespace: 'shop', name: 'dns', resourceVersion: rv() }, spec: {} };
    const group = {
      metadata: { namespace: 'shop', name: 'g', resourceVersion: rv() },
      spec: { matches: [{ name: 'api', pathRegex: '/api/.*' }] },
    };
    assembler.apply({
      smi: {
        TrafficTarget: added(target),
        TCPRoute: added(tcp),
        UDPRoute: added(udp),
        HTTPRouteGroup: added(group),
      },
    });
    const inputs = assembler.inputs();
    expect(rejections).toEqual([]);
    expect(inputs.trafficTargets?.map((t) => t.name)).toEqual(['t']);
    expect([...(inputs.tcpRoutes?.keys() ?? [])]).toEqual(['shop/all']);
    expect([...(inputs.udpRoutes?.keys() ?? [])]).toEqual(['shop/dns']);
    expect([...inputs.httpRouteGroups.keys()]).toEqual(['shop/g']);
  });

  it('merges EndpointSlices per Service and drops a deleted slice', () => {
    const a = slice('orders-a', 'orders', [['10.1.0.1', true]]);
    const b = slice('orders-b', 'orders', [['10.1.0.2', false]]);
    assembler.apply({ endpointSlices: added(a, b) });
    expect(
      assembler
        .inputs()
        .endpoints.get('shop/orders')
        ?.map((e) => [e.address, e.ready]),
    ).toEqual([
      ['10.1.0.1', true],
      ['10.1.0.2', false],
    ]);
    assembler.apply({ endpointSlices: deleted(a) });
    expect(
      assembler
        .inputs()
        .endpoints.get('shop/orders')
        ?.map((e) => e.address),
    ).toEqual(['10.1.0.2']);
    assembler.apply({ endpointSlices: deleted(b) });
    expect(assembler.inputs().endpoints.has('shop/orders')).toBe(false);
  });

  it('moves a slice whose service-name label changes from one Service to the other', () => {
    const a = slice('moving', 'orders', [['10.1.0.1', true]]);
    assembler.apply({ endpointSlices: added(a) });
    const moved = slice('moving', 'payments', [['10.1.0.1', true]]);
    assembler.apply({ endpointSlices: updated(a, moved) });
    const { endpoints } = assembler.inputs();
    expect(endpoints.has('shop/orders')).toBe(false);
    expect(endpoints.get('shop/payments')?.map((e) => e.address)).toEqual(['10.1.0.1']);
  });

  it('keeps the last good EndpointSlice when an update is malformed', () => {
    const a = slice('orders-a', 'orders', [['10.1.0.1', true]]);
    assembler.apply({ endpointSlices: added(a) });
    const broken = { ...slice('orders-a', 'orders', []), endpoints: [{ addresses: ['not-an-ip'] }] };
    assembler.apply({ endpointSlices: updated(a, broken) });
    expect(
      assembler
        .inputs()
        .endpoints.get('shop/orders')
        ?.map((e) => e.address),
    ).toEqual(['10.1.0.1']);
    expect(rejections[0]).toMatchObject({
      reason: 'InvalidEndpointSlice',
      object: { kind: 'EndpointSlice' },
    });
  });

  it('rejects a shadow whose proxy port is outside this proxy’s ranges and keeps the last good one', () => {
    const orders = service('orders');
    const good = shadowOf(orders);
    assembler.apply({ services: added(orders), shadows: added(good) });
    const outside = {
      ...good,
      metadata: { ...good.metadata, resourceVersion: rv() },
      spec: { ...good.spec, ports: [{ name: 'http', protocol: 'TCP', port: 80, targetPort: 5010 }] },
    };
    assembler.apply({ shadows: updated(good, outside) });
    expect(assembler.inputs().services.get('shop/orders')?.shadow?.ports[0]?.targetPort).toBe(5000);
    expect(rejections[0]?.reason).toBe('InvalidShadowService');
    expect(rejections[0]?.message).toContain('spec.ports[0].targetPort');
  });

  it('never throws on junk', () => {
    const junk = [null, 42, 'x', [], { metadata: 'no' }, { metadata: { namespace: 'shop', name: 'x' } }];
    for (const obj of junk) {
      const change = new Map<string, Change<unknown>>([['shop/x', { previous: undefined, current: obj }]]);
      assembler.apply({
        services: change,
        shadows: change,
        endpointSlices: change,
        smi: { TrafficSplit: change, TrafficTarget: change, HTTPRouteGroup: change },
      });
    }
    expect(assembler.inputs().services.size).toBe(0);
  });
});
