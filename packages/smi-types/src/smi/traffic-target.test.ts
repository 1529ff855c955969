import { describe, expect, it } from 'vitest';
import { example, type InvalidCase, withField } from '../../test/support/mutate.js';
import { validateTrafficTargetV1alpha2, validateTrafficTargetV1alpha3 } from './traffic-target.js';

const versions = [
  ['v1alpha2', validateTrafficTargetV1alpha2],
  ['v1alpha3', validateTrafficTargetV1alpha3],
] as const;

const invalid: InvalidCase[] = [
  {
    name: 'destination kind other than ServiceAccount',
    path: ['spec', 'destination', 'kind'],
    value: 'Pod',
    errors: [{ path: 'spec.destination.kind', message: 'must be "ServiceAccount", got "Pod"' }],
  },
  {
    name: 'missing destination',
    path: ['spec', 'destination'],
    value: undefined,
    errors: [{ path: 'spec.destination', message: 'is required' }],
  },
  {
    name: 'destination port out of range',
    path: ['spec', 'destination', 'port'],
    value: 70000,
    errors: [{ path: 'spec.destination.port', message: 'must be a port number from 1 to 65535, got 70000' }],
  },
  {
    name: 'port on a source',
    path: ['spec', 'sources', 1, 'port'],
    value: 80,
    errors: [{ path: 'spec.sources[1].port', message: 'is only allowed on the destination' }],
  },
  {
    name: 'source namespace not a label',
    path: ['spec', 'sources', 0, 'namespace'],
    value: 'Shop',
    errors: [
      {
        path: 'spec.sources[0].namespace',
        message:
          'must be a DNS-1123 label (at most 63 lower-case letters, digits or \'-\', starting and ending with a letter or digit), got "Shop"',
      },
    ],
  },
  {
    name: 'rule of an unknown kind',
    path: ['spec', 'rules', 1, 'kind'],
    value: 'GRPCRoute',
    errors: [
      {
        path: 'spec.rules[1].kind',
        message: 'must be one of HTTPRouteGroup, TCPRoute, UDPRoute, got "GRPCRoute"',
      },
    ],
  },
  {
    name: 'rule matches not a list',
    path: ['spec', 'rules', 0, 'matches'],
    value: 'checkout',
    errors: [{ path: 'spec.rules[0].matches', message: 'must be a list, got "checkout"' }],
  },
  {
    name: 'empty match name in a rule',
    path: ['spec', 'rules', 0, 'matches', 0],
    value: '',
    errors: [{ path: 'spec.rules[0].matches[0]', message: 'must not be empty' }],
  },
  {
    name: "an apiVersion that is not this validator's",
    path: ['apiVersion'],
    value: 'access.smi-spec.io/v1alpha1',
    errors: [
      {
        path: 'apiVersion',
        message: 'must be "access.smi-spec.io/VERSION" when set, got "access.smi-spec.io/v1alpha1"',
      },
    ],
  },
  {
    name: 'missing metadata.namespace',
    path: ['metadata', 'namespace'],
    value: undefined,
    errors: [{ path: 'metadata.namespace', message: 'is required' }],
  },
  {
    name: 'metadata.name not a subdomain',
    path: ['metadata', 'name'],
    value: 'Orders_From_Web',
    errors: [
      {
        path: 'metadata.name',
        message:
          "must be a DNS-1123 subdomain (at most 253 lower-case letters, digits, '-' or '.', each part starting and ending with a letter or digit), got \"Orders_From_Web\"",
      },
    ],
  },
];

describe.each(versions)('TrafficTarget %s', (version, validate) => {
  const valid = example(`access.smi-spec.io/${version}`, 'TrafficTarget');

  it('normalises a valid object', () => {
    expect(validate(valid)).toEqual({
      ok: true,
      value: {
        kind: 'TrafficTarget',
        apiVersion: `access.smi-spec.io/${version}`,
        namespace: 'shop',
        name: 'orders-from-web',
        resourceVersion: '42',
        destination: { kind: 'ServiceAccount', name: 'orders', namespace: 'shop', port: 8080 },
        sources: [
          { kind: 'ServiceAccount', name: 'web', namespace: 'shop' },
          { kind: 'ServiceAccount', name: 'prometheus', namespace: 'monitoring' },
        ],
        rules: [
          { kind: 'HTTPRouteGroup', name: 'orders-routes', matches: ['checkout'] },
          { kind: 'TCPRoute', name: 'orders-tcp', matches: [] },
        ],
      },
    });
  });

  it('reads a missing subject namespace as the target namespace, and null rules as none', () => {
    const withoutNamespace = withField(valid, ['spec', 'sources', 0, 'namespace'], undefined);
    const result = validate(withField(withoutNamespace, ['spec', 'rules'], null));
    expect(result.ok && result.value.sources[0]?.namespace).toBe('shop');
    expect(result.ok && result.value.rules).toEqual([]);
  });

  it.each(invalid)('rejects $name', ({ path, value, errors }) => {
    const expected = errors.map((e) => ({ ...e, message: e.message.replace('VERSION', version) }));
    expect(validate(withField(valid, path, value))).toEqual({ ok: false, errors: expected });
  });

  it('reports every error, not just the first', () => {
    const bad = withField(
      withField(valid, ['spec', 'destination', 'port'], 0),
      ['spec', 'rules', 0, 'kind'],
      'X',
    );
    const result = validate(bad);
    expect(result.ok ? [] : result.errors.map((e) => e.path)).toEqual([
      'spec.destination.port',
      'spec.rules[0].kind',
    ]);
  });
});
