import { describe, expect, it } from 'vitest';
import { isMeshCandidate, readUserService, type UserService } from './user-service.js';

const base = {
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { namespace: 'shop', name: 'orders', resourceVersion: '42', annotations: { a: 'b' } },
  spec: {
    type: 'ClusterIP',
    clusterIP: '10.0.0.7',
    clusterIPs: ['10.0.0.7', 'fd00::7'],
    selector: { app: 'orders' },
    ports: [
      { name: 'http', port: 8080, protocol: 'TCP', targetPort: 'web' },
      { name: 'dns', port: 53, protocol: 'UDP', targetPort: 5353 },
    ],
  },
};

const orders: UserService = {
  namespace: 'shop',
  name: 'orders',
  type: 'ClusterIP',
  clusterIPs: ['10.0.0.7', 'fd00::7'],
  ports: [
    { name: 'http', port: 8080, protocol: 'TCP', targetPort: 'web' },
    { name: 'dns', port: 53, protocol: 'UDP', targetPort: 5353 },
  ],
  selector: { app: 'orders' },
  annotations: { a: 'b' },
  resourceVersion: '42',
};

const withSpec = (spec: Record<string, unknown>) => ({ ...base, spec: { ...base.spec, ...spec } });
const withPort = (port: Record<string, unknown>) => withSpec({ ports: [port] });

describe('readUserService', () => {
  it('reads the fields the mesh needs', () => {
    expect(readUserService(base)).toEqual({ ok: true, value: orders });
  });

  it('applies the API server defaults', () => {
    const minimal = { metadata: { namespace: 'shop', name: 'orders' }, spec: { ports: [{ port: 80 }] } };
    expect(readUserService(minimal)).toEqual({
      ok: true,
      value: {
        namespace: 'shop',
        name: 'orders',
        type: 'ClusterIP',
        clusterIPs: [],
        ports: [{ name: undefined, port: 80, protocol: 'TCP', targetPort: undefined }],
        selector: undefined,
        annotations: {},
        resourceVersion: undefined,
      },
    });
  });

  it('falls back to spec.clusterIP when there is no list', () => {
    const result = readUserService(withSpec({ clusterIPs: undefined, clusterIP: 'None' }));
    expect(result.ok && result.value.clusterIPs).toEqual(['None']);
  });

  it.each([
    ['not an object', 'svc', '', 'must be an object, got "svc"'],
    ['no metadata', { spec: {} }, 'metadata', 'must be an object, got nothing'],
    ['no spec', { metadata: base.metadata }, 'spec', 'must be an object, got nothing'],
    [
      'an empty name',
      { ...base, metadata: { ...base.metadata, name: '' } },
      'metadata.name',
      'must be a non-empty string, got ""',
    ],
    [
      'a numeric namespace',
      { ...base, metadata: { ...base.metadata, namespace: 5 } },
      'metadata.namespace',
      'must be a non-empty string, got 5',
    ],
    [
      'an annotation that is not a string',
      { ...base, metadata: { ...base.metadata, annotations: { x: 1 } } },
      'metadata.annotations["x"]',
      'must be a string, got 1',
    ],
    [
      'an unknown type',
      withSpec({ type: 'Headless' }),
      'spec.type',
      'must be one of ClusterIP, NodePort, LoadBalancer, ExternalName, got "Headless"',
    ],
    ['ports that are not a list', withSpec({ ports: {} }), 'spec.ports', 'must be a list, got an object'],
    ['a port that is not an object', withSpec({ ports: [80] }), 'spec.ports[0]', 'must be an object, got 80'],
    ['port 0', withPort({ port: 0 }), 'spec.ports[0].port', 'must be an integer from 1 to 65535, got 0'],
    [
      'port 65536',
      withPort({ port: 65536 }),
      'spec.ports[0].port',
      'must be an integer from 1 to 65535, got 65536',
    ],
    [
      'a port as text',
      withPort({ port: '80' }),
      'spec.ports[0].port',
      'must be an integer from 1 to 65535, got "80"',
    ],
    [
      'an unknown protocol',
      withPort({ port: 80, protocol: 'tcp' }),
      'spec.ports[0].protocol',
      'must be one of TCP, UDP, SCTP, got "tcp"',
    ],
    [
      'a bad target port',
      withPort({ port: 80, targetPort: 1.5 }),
      'spec.ports[0].targetPort',
      'must be an integer from 1 to 65535, got 1.5',
    ],
    [
      'a cluster IP that is not a string',
      withSpec({ clusterIPs: [7] }),
      'spec.clusterIPs[0]',
      'must be a non-empty string, got 7',
    ],
    [
      'a selector with a number',
      withSpec({ selector: { app: 1 } }),
      'spec.selector["app"]',
      'must be a string, got 1',
    ],
  ])('rejects %s', (_, obj, path, message) => {
    expect(readUserService(obj)).toEqual({ ok: false, errors: [{ path, message }] });
  });

  it('never throws on odd input', () => {
    for (const input of [
      null,
      undefined,
      [],
      1,
      { metadata: null, spec: null },
      { spec: { ports: [null] } },
    ]) {
      expect(() => readUserService(input)).not.toThrow();
      expect(readUserService(input).ok).toBe(false);
    }
  });
});

describe('isMeshCandidate', () => {
  const opts = { meshNamespace: 'nodemesh', watchNamespaces: [], ignoreNamespaces: ['kube-system'] };

  it.each([
    ['a ClusterIP Service', orders, opts, true],
    ['a NodePort Service', { ...orders, type: 'NodePort' as const }, opts, true],
    ['an ExternalName Service', { ...orders, type: 'ExternalName' as const }, opts, false],
    ['a Service in the mesh namespace', { ...orders, namespace: 'nodemesh' }, opts, false],
    ['a Service in an ignored namespace', { ...orders, namespace: 'kube-system' }, opts, false],
    ['a Service in a watched namespace', orders, { ...opts, watchNamespaces: ['shop'] }, true],
    ['a Service outside the watched namespaces', orders, { ...opts, watchNamespaces: ['other'] }, false],
    [
      'a Service both watched and ignored',
      orders,
      { ...opts, watchNamespaces: ['shop'], ignoreNamespaces: ['shop'] },
      false,
    ],
  ])('%s', (_, svc, options, expected) => {
    expect(isMeshCandidate(svc, options)).toBe(expected);
  });
});
