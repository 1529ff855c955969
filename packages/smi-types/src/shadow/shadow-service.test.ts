import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { TrafficType } from '../annotations/service-config.js';
import { MTLS_MODES, type MtlsMode } from '../identity/mtls-mode.js';
import { allocationsFromShadows, parseShadowService } from './parse-shadow-service.js';
import { allocatePorts } from './port-allocator.js';
import { desiredShadowService, shadowPorts } from './shadow-service.js';
import type { ServiceProtocol, UserService } from './user-service.js';

const orders: UserService = {
  namespace: 'shop',
  name: 'orders',
  type: 'ClusterIP',
  clusterIPs: ['10.0.0.7'],
  ports: [
    { name: 'http', port: 8080, protocol: 'TCP', targetPort: 'web' },
    { name: 'metrics', port: 9090, protocol: 'TCP', targetPort: 9090 },
    { name: 'sync', port: 7000, protocol: 'UDP', targetPort: undefined },
    { name: 'sctp', port: 3868, protocol: 'SCTP', targetPort: undefined },
  ],
  selector: { app: 'orders' },
  annotations: {},
  resourceVersion: '1',
};

const table = {
  allocations: [
    {
      of: { namespace: 'shop', name: 'orders' },
      protocol: 'UDP' as const,
      servicePort: 7000,
      proxyPort: 15000,
    },
  ],
};
const opts = { meshNamespace: 'nodemesh' };

describe('desiredShadowService', () => {
  it('builds the shadow Service of an http Service', () => {
    const shadow = desiredShadowService(orders, { trafficType: 'http' }, table, opts);
    expect(shadow).toEqual({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: {
        name: expect.stringMatching(/^shop-orders-[0-9a-f]{16}$/),
        namespace: 'nodemesh',
        labels: {
          'app.kubernetes.io/part-of': 'nodemesh',
          'app.kubernetes.io/managed-by': 'nodemesh-dns-controller',
          'nodemesh.io/shadow-of-namespace': 'shop',
          'nodemesh.io/shadow-of-name': 'orders',
        },
        annotations: { 'nodemesh.io/traffic-type': 'http' },
      },
      spec: {
        type: 'ClusterIP',
        selector: { 'app.kubernetes.io/component': 'node-proxy', 'app.kubernetes.io/part-of': 'nodemesh' },
        internalTrafficPolicy: 'Local',
        ports: [
          { name: 'http', protocol: 'TCP', port: 8080, targetPort: 5000 },
          { name: 'metrics', protocol: 'TCP', port: 9090, targetPort: 5001 },
          { name: 'sync', protocol: 'UDP', port: 7000, targetPort: 15000 },
        ],
      },
    });
  });

  it('leaves out ports without an allocation, and says which', () => {
    const outcome = shadowPorts(orders, 'tcp', table.allocations);
    expect(outcome.ports.map((p) => p.name)).toEqual(['sync']);
    expect(outcome.unallocated.map((p) => p.name)).toEqual(['http', 'metrics']);
    expect(desiredShadowService(orders, { trafficType: 'tcp' }, table, opts).spec.ports).toHaveLength(1);
  });

  it('writes the ServiceAccounts sorted and de-duplicated, and nothing when none are given', () => {
    const annotations = (serviceAccounts?: readonly string[]) =>
      desiredShadowService(orders, { trafficType: 'http' }, table, { ...opts, serviceAccounts }).metadata
        .annotations;
    expect(annotations(['web', 'default', 'web', 'admin'])).toEqual({
      'nodemesh.io/traffic-type': 'http',
      'nodemesh.io/service-accounts': 'admin,default,web',
    });
    expect(annotations([])).toEqual({
      'nodemesh.io/traffic-type': 'http',
      'nodemesh.io/service-accounts': '',
    });
    expect(annotations(undefined)).toEqual({ 'nodemesh.io/traffic-type': 'http' });
  });

  it('writes the resolved mTLS mode when given, and nothing when not', () => {
    const annotations = (mtlsMode?: MtlsMode) =>
      desiredShadowService(orders, { trafficType: 'http' }, table, { ...opts, mtlsMode }).metadata
        .annotations;
    expect(annotations('strict')).toEqual({
      'nodemesh.io/traffic-type': 'http',
      'nodemesh.io/mtls-mode': 'strict',
    });
    expect(annotations(undefined)).toEqual({ 'nodemesh.io/traffic-type': 'http' });
  });

  it('names unnamed ports after their number', () => {
    const single = {
      ...orders,
      ports: [{ name: undefined, port: 80, protocol: 'TCP' as const, targetPort: undefined }],
    };
    expect(desiredShadowService(single, { trafficType: 'http' }, table, opts).spec.ports).toEqual([
      { name: 'p80', protocol: 'TCP', port: 80, targetPort: 5000 },
    ]);
  });
});

describe('parseShadowService', () => {
  const good = desiredShadowService(orders, { trafficType: 'http' }, table, opts);
  const served = {
    ...good,
    metadata: { ...good.metadata, resourceVersion: '99' },
    spec: { ...good.spec, clusterIP: '10.96.0.10', clusterIPs: ['10.96.0.10'] },
  };

  it('reads back what the API server serves', () => {
    expect(parseShadowService(served)).toEqual({
      ok: true,
      value: {
        of: { namespace: 'shop', name: 'orders' },
        namespace: 'nodemesh',
        name: good.metadata.name,
        trafficType: 'http',
        clusterIPs: ['10.96.0.10'],
        ports: [
          { name: 'http', protocol: 'TCP', port: 8080, targetPort: 5000, trafficType: 'http' },
          { name: 'metrics', protocol: 'TCP', port: 9090, targetPort: 5001, trafficType: 'http' },
          { name: 'sync', protocol: 'UDP', port: 7000, targetPort: 15000, trafficType: 'udp' },
        ],
        serviceAccounts: [],
        resourceVersion: '99',
      },
    });
  });

  it('reads the ServiceAccounts, sorted, and none when the annotation is absent or empty', () => {
    const withAccounts = (value: string | undefined) =>
      parseShadowService({
        ...served,
        metadata: {
          ...served.metadata,
          annotations: {
            ...served.metadata.annotations,
            ...(value === undefined ? {} : { 'nodemesh.io/service-accounts': value }),
          },
        },
      });
    const accounts = (value: string | undefined) => {
      const parsed = withAccounts(value);
      return parsed.ok ? parsed.value.serviceAccounts : parsed.errors;
    };
    expect(accounts('web,default,billing.payments')).toEqual(['billing.payments', 'default', 'web']);
    expect(accounts(undefined)).toEqual([]);
    expect(accounts('')).toEqual([]);
  });

  it('reads the mTLS mode, none when the annotation is absent, and rejects one that is not a mode', () => {
    const mode = (value: string | undefined) => {
      const parsed = parseShadowService({
        ...served,
        metadata: {
          ...served.metadata,
          annotations: {
            ...served.metadata.annotations,
            ...(value === undefined ? {} : { 'nodemesh.io/mtls-mode': value }),
          },
        },
      });
      return parsed.ok ? parsed.value.mtlsMode : parsed.errors;
    };
    expect(mode('off')).toBe('off');
    expect(mode('permissive')).toBe('permissive');
    expect(mode('strict')).toBe('strict');
    expect(mode(undefined)).toBeUndefined();
    expect(mode('STRICT')).toEqual([
      {
        path: 'metadata.annotations["nodemesh.io/mtls-mode"]',
        message: 'must be one of off, permissive, strict, got "STRICT"',
      },
    ]);
  });

  const withPort = (port: Record<string, unknown>) => ({
    ...served,
    spec: { ...served.spec, ports: [port] },
  });
  const withMetadata = (metadata: Record<string, unknown>) => ({
    ...served,
    metadata: { ...served.metadata, ...metadata },
  });

  it.each([
    ['not an object', 7, '', 'must be an object, got 7'],
    ['no metadata', { spec: {} }, 'metadata', 'must be an object, got nothing'],
    ['no spec', { metadata: served.metadata }, 'spec', 'must be an object, got nothing'],
    [
      'missing shadow labels',
      withMetadata({ labels: { 'app.kubernetes.io/part-of': 'nodemesh' } }),
      'metadata.labels',
      'must hold app.kubernetes.io/part-of=nodemesh, nodemesh.io/shadow-of-namespace and nodemesh.io/shadow-of-name',
    ],
    [
      'no traffic type',
      withMetadata({ annotations: {} }),
      'metadata.annotations["nodemesh.io/traffic-type"]',
      'must be one of http, tcp, udp, got nothing',
    ],
    [
      'no ports',
      { ...served, spec: { ...served.spec, ports: undefined } },
      'spec.ports',
      'must be a list, got nothing',
    ],
    [
      'a ServiceAccount that is no DNS-1123 subdomain',
      withMetadata({
        annotations: { 'nodemesh.io/traffic-type': 'http', 'nodemesh.io/service-accounts': 'web,Admin' },
      }),
      'metadata.annotations["nodemesh.io/service-accounts"]',
      'must list ServiceAccount names (DNS-1123 subdomains) separated by commas, got "Admin" in "web,Admin"',
    ],
    [
      'an empty name between commas',
      withMetadata({
        annotations: { 'nodemesh.io/traffic-type': 'http', 'nodemesh.io/service-accounts': 'a,,b' },
      }),
      'metadata.annotations["nodemesh.io/service-accounts"]',
      'must list ServiceAccount names (DNS-1123 subdomains) separated by commas, got "" in "a,,b"',
    ],
    [
      'a ServiceAccounts annotation that is no string',
      withMetadata({
        annotations: { 'nodemesh.io/traffic-type': 'http', 'nodemesh.io/service-accounts': ['web'] },
      }),
      'metadata.annotations["nodemesh.io/service-accounts"]',
      'must be a comma-separated list of names, got a list',
    ],
    [
      'a named targetPort',
      withPort({ name: 'a', protocol: 'TCP', port: 80, targetPort: 'http' }),
      'spec.ports[0].targetPort',
      'must be an integer from 1 to 65535, got "http"',
    ],
    [
      'an SCTP port',
      withPort({ name: 'a', protocol: 'SCTP', port: 80, targetPort: 5000 }),
      'spec.ports[0].protocol',
      'must be TCP or UDP, got "SCTP"',
    ],
    [
      'a port without a name',
      withPort({ protocol: 'TCP', port: 80, targetPort: 5000 }),
      'spec.ports[0].name',
      'must be a non-empty string, got nothing',
    ],
    [
      'port 0',
      withPort({ name: 'a', protocol: 'TCP', port: 0, targetPort: 5000 }),
      'spec.ports[0].port',
      'must be an integer from 1 to 65535, got 0',
    ],
  ])('rejects %s', (_, obj, path, message) => {
    expect(parseShadowService(obj)).toEqual({ ok: false, errors: [{ path, message }] });
  });

  it('never throws on odd input', () => {
    for (const input of [
      null,
      [],
      'x',
      { metadata: [], spec: [] },
      { metadata: {}, spec: { ports: [null, 1] } },
    ]) {
      expect(() => parseShadowService(input)).not.toThrow();
    }
  });
});

describe('allocationsFromShadows', () => {
  it('takes the tcp and udp ports and skips the http entrypoints', () => {
    const parsed = parseShadowService(desiredShadowService(orders, { trafficType: 'http' }, table, opts));
    expect(parsed.ok && allocationsFromShadows([parsed.value])).toEqual(table.allocations);
  });
});

describe('round trip', () => {
  const userService = fc
    .record({
      namespace: fc.stringMatching(/^[a-z][a-z0-9-]{0,20}[a-z0-9]$/),
      name: fc.stringMatching(/^[a-z][a-z0-9-]{0,61}[a-z0-9]$/),
      trafficType: fc.constantFrom<TrafficType>('http', 'tcp', 'udp'),
      mtlsMode: fc.option(fc.constantFrom(...MTLS_MODES), { nil: undefined }),
      serviceAccounts: fc.option(
        fc.array(fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?(\.[a-z0-9]{1,5}){0,2}$/), {
          maxLength: 6,
        }),
        { nil: undefined },
      ),
      ports: fc.uniqueArray(
        fc.record({
          port: fc.integer({ min: 1, max: 65535 }),
          protocol: fc.constantFrom<ServiceProtocol>('TCP', 'UDP', 'SCTP'),
        }),
        { minLength: 1, maxLength: 8, selector: (p) => `${p.protocol}/${p.port}` },
      ),
    })
    .map(({ namespace, name, trafficType, mtlsMode, serviceAccounts, ports }) => ({
      trafficType,
      mtlsMode,
      serviceAccounts,
      svc: {
        ...orders,
        namespace,
        name,
        ports: ports.map((p, i) => ({ ...p, name: `port-${i}`, targetPort: undefined })),
      } satisfies UserService,
    }));

  it('desiredShadowService then parseShadowService gives back the ports, ServiceAccounts and mTLS mode', () => {
    fc.assert(
      fc.property(userService, ({ svc, trafficType, mtlsMode, serviceAccounts }) => {
        const of = { namespace: svc.namespace, name: svc.name };
        const allocated = allocatePorts({
          existing: [],
          services: [{ of, trafficType, ports: svc.ports }],
          tcpRange: { first: 10000, last: 14999 },
          udpRange: { first: 15000, last: 19999 },
        });
        const parsed = parseShadowService(
          desiredShadowService(svc, { trafficType }, allocated, { ...opts, serviceAccounts, mtlsMode }),
        );
        expect(parsed.ok).toBe(true);
        if (!parsed.ok) return;
        expect(parsed.value.of).toEqual(of);
        expect(parsed.value.trafficType).toBe(trafficType);
        expect(parsed.value.serviceAccounts).toEqual([...new Set(serviceAccounts ?? [])].sort());
        expect(parsed.value.mtlsMode).toBe(mtlsMode);
        expect(parsed.value.ports).toEqual(shadowPorts(svc, trafficType, allocated.allocations).ports);
        expect(parsed.value.ports).toHaveLength(svc.ports.filter((p) => p.protocol !== 'SCTP').length);
        const readBack = allocationsFromShadows([parsed.value]);
        expect(readBack).toHaveLength(allocated.allocations.length);
        expect(readBack).toEqual(expect.arrayContaining([...allocated.allocations]));
      }),
      { numRuns: 500 },
    );
  });
});
