import {
  allocatePorts,
  DEFAULT_MESH_DEFAULTS,
  DEFAULT_TCP_PORT_RANGE,
  DEFAULT_UDP_PORT_RANGE,
  desiredShadowService,
  parseServiceAnnotations,
  parseShadowService,
  readUserService,
} from '@nodemesh/smi-types';
import { describe, expect, it } from 'vitest';
import { mergeEndpointSlices, parseEndpointSlice } from './endpoint-slice.js';
import { meshServiceInput } from './from-kubernetes.js';
import { createTopologyBuilder } from './topology-builder.js';

function unwrap<T>(result: { ok: true; value: T } | { ok: false; errors: readonly unknown[] }): T {
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  return result.value;
}

const userObject = {
  metadata: { namespace: 'shop', name: 'orders', annotations: { 'nodemesh.io/scheme': 'h2c' } },
  spec: {
    type: 'ClusterIP',
    clusterIP: '10.96.0.5',
    clusterIPs: ['10.96.0.5'],
    selector: { app: 'orders' },
    ports: [
      { name: 'grpc', port: 8080, protocol: 'TCP', targetPort: 'grpc' },
      { name: 'sync', port: 7000, protocol: 'UDP', targetPort: 7001 },
    ],
  },
};

const slice = (name: string, endpoints: unknown[]) => ({
  metadata: { namespace: 'shop', name, labels: { 'kubernetes.io/service-name': 'orders' } },
  addressType: 'IPv4',
  ports: [
    { name: 'grpc', port: 9000, protocol: 'TCP' },
    { name: 'sync', port: 7001, protocol: 'UDP' },
  ],
  endpoints,
});

describe('from the Kubernetes objects to a snapshot', () => {
  it('a user Service, its shadow (as the dns-controller writes it) and its EndpointSlices route end to end', () => {
    const user = unwrap(readUserService(userObject));
    const config = unwrap(parseServiceAnnotations(user.annotations, DEFAULT_MESH_DEFAULTS));
    const table = allocatePorts({
      existing: [],
      services: [
        { of: { namespace: 'shop', name: 'orders' }, trafficType: config.trafficType, ports: user.ports },
      ],
      tcpRange: DEFAULT_TCP_PORT_RANGE,
      udpRange: DEFAULT_UDP_PORT_RANGE,
    });
    const manifest = desiredShadowService(user, config, table, { meshNamespace: 'nodemesh' });
    const shadow = unwrap(
      parseShadowService({
        ...manifest,
        spec: { ...manifest.spec, clusterIP: '10.96.0.50', clusterIPs: ['10.96.0.50'] },
      }),
    );
    const slices = [
      unwrap(
        parseEndpointSlice(
          slice('orders-a', [{ addresses: ['10.1.0.1'], conditions: { ready: true }, nodeName: 'n1' }]),
        ),
      ),
      unwrap(
        parseEndpointSlice(
          slice('orders-b', [
            { addresses: ['10.1.0.2'], conditions: { ready: false, serving: true, terminating: true } },
            { addresses: ['10.1.0.3'] },
          ]),
        ),
      ),
    ];
    const service = meshServiceInput(user, config, shadow);
    const snapshot = createTopologyBuilder().build({
      meshDomain: 'mesh',
      services: new Map([['shop/orders', service]]),
      endpoints: new Map([['shop/orders', mergeEndpointSlices(slices)]]),
      trafficSplits: [],
      httpRouteGroups: new Map(),
    });
    expect(snapshot.problems).toEqual([]);
    const http = snapshot.http.get(5000)?.hosts.get('10.96.0.50:8080');
    expect(http?.root.scheme).toBe('h2c');
    expect(http?.root.endpoints.map((e) => e.key)).toEqual(['10.1.0.1:9000', '10.1.0.3:9000']);
    const udp = [...snapshot.udp.values()][0];
    expect(udp?.listenerPort).toBeGreaterThanOrEqual(DEFAULT_UDP_PORT_RANGE.first);
    expect(udp?.root.endpoints.map((e) => e.key)).toEqual(['10.1.0.1:7001', '10.1.0.3:7001']);
    expect(snapshot.services.get('shop/orders')?.scheme).toBe('h2c');
  });
});

describe('parseEndpointSlice', () => {
  it.each([
    [{ ...slice('s', []), addressType: 'IPX' }, 'addressType'],
    [
      { ...slice('s', []), metadata: { namespace: 'shop', name: 's' } },
      'metadata.labels["kubernetes.io/service-name"]',
    ],
    [slice('s', [{ addresses: ['fd00::1'] }]), 'endpoints[0].addresses[0]'],
    [slice('s', [{ addresses: [] }]), 'endpoints[0].addresses'],
    [
      slice('s', [{ addresses: ['10.0.0.1'], conditions: { ready: 'yes' } }]),
      'endpoints[0].conditions.ready',
    ],
    [{ ...slice('s', []), ports: [{ name: 'x', port: 70000 }] }, 'ports[0].port'],
  ])('reports a malformed slice with the path of the bad field (%#)', (obj, path) => {
    const result = parseEndpointSlice(obj);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.errors.map((e) => e.path)).toContain(path);
  });

  it('never throws on any input', () => {
    for (const input of [null, 1, 'x', [], {}, { metadata: 1 }, { endpoints: {} }, { ports: [null] }]) {
      expect(() => parseEndpointSlice(input)).not.toThrow();
    }
  });

  it('an FQDN slice has no endpoints; a duplicate address across slices counts once, the ready copy wins', () => {
    expect(
      unwrap(parseEndpointSlice({ ...slice('f', [{ addresses: ['db.example'] }]), addressType: 'FQDN' }))
        .endpoints,
    ).toEqual([]);
    const a = unwrap(
      parseEndpointSlice(slice('a', [{ addresses: ['10.0.0.1'], conditions: { ready: false } }])),
    );
    const b = unwrap(
      parseEndpointSlice(slice('b', [{ addresses: ['10.0.0.1'], conditions: { ready: true } }])),
    );
    expect(mergeEndpointSlices([a, b]).map((e) => e.ready)).toEqual([true]);
  });
});
