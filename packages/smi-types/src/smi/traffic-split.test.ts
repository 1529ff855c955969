import { describe, expect, it } from 'vitest';
import { example, type InvalidCase, withField } from '../../test/support/mutate.js';
import {
  validateTrafficSplitV1alpha2,
  validateTrafficSplitV1alpha3,
  validateTrafficSplitV1alpha4,
} from './traffic-split.js';

const common: InvalidCase[] = [
  {
    name: 'a weight that is a string',
    path: ['spec', 'backends', 1, 'weight'],
    value: 'ten',
    errors: [{ path: 'spec.backends[1].weight', message: 'must be a non-negative integer, got "ten"' }],
  },
  {
    name: 'a v1alpha1-style quantity weight',
    path: ['spec', 'backends', 0, 'weight'],
    value: '500m',
    errors: [{ path: 'spec.backends[0].weight', message: 'must be a non-negative integer, got "500m"' }],
  },
  {
    name: 'a negative weight',
    path: ['spec', 'backends', 0, 'weight'],
    value: -1,
    errors: [{ path: 'spec.backends[0].weight', message: 'must be a non-negative integer, got -1' }],
  },
  {
    name: 'a fractional weight',
    path: ['spec', 'backends', 0, 'weight'],
    value: 1.5,
    errors: [{ path: 'spec.backends[0].weight', message: 'must be a non-negative integer, got 1.5' }],
  },
  {
    name: 'a weight beyond 32 bits',
    path: ['spec', 'backends', 0, 'weight'],
    value: 2 ** 31,
    errors: [{ path: 'spec.backends[0].weight', message: 'must be at most 2147483647, got 2147483648' }],
  },
  {
    name: 'a missing weight',
    path: ['spec', 'backends', 0, 'weight'],
    value: undefined,
    errors: [{ path: 'spec.backends[0].weight', message: 'must be a non-negative integer, got nothing' }],
  },
  {
    name: 'no backends',
    path: ['spec', 'backends'],
    value: [],
    errors: [{ path: 'spec.backends', message: 'must list at least one backend' }],
  },
  {
    name: 'a backend listed twice',
    path: ['spec', 'backends', 1, 'service'],
    value: 'orders-v1',
    errors: [
      {
        path: 'spec.backends[1].service',
        message: 'duplicates the backend "orders-v1" of spec.backends[0].service',
      },
    ],
  },
  {
    name: 'a missing root service',
    path: ['spec', 'service'],
    value: undefined,
    errors: [{ path: 'spec.service', message: 'is required' }],
  },
  {
    name: 'a spec that is a string',
    path: ['spec'],
    value: 'orders',
    errors: [{ path: 'spec', message: 'must be an object, got "orders"' }],
  },
  {
    name: "a kind that is not this validator's",
    path: ['kind'],
    value: 'TrafficTarget',
    errors: [{ path: 'kind', message: 'must be "TrafficSplit" when set, got "TrafficTarget"' }],
  },
  {
    name: 'missing metadata',
    path: ['metadata'],
    value: undefined,
    errors: [{ path: 'metadata', message: 'is required' }],
  },
];

const withMatches: InvalidCase[] = [
  {
    name: 'a match of an unknown kind',
    path: ['spec', 'matches', 0, 'kind'],
    value: 'Service',
    errors: [
      {
        path: 'spec.matches[0].kind',
        message: 'must be HTTPRouteGroup (a split narrows HTTP routes only), got "Service"',
      },
    ],
  },
  {
    name: 'a match of kind TCPRoute (it would be dropped, widening the split to all traffic)',
    path: ['spec', 'matches', 0, 'kind'],
    value: 'TCPRoute',
    errors: [
      {
        path: 'spec.matches[0].kind',
        message: 'must be HTTPRouteGroup (a split narrows HTTP routes only), got "TCPRoute"',
      },
    ],
  },
  {
    name: 'a match of kind UDPRoute',
    path: ['spec', 'matches', 0, 'kind'],
    value: 'UDPRoute',
    errors: [
      {
        path: 'spec.matches[0].kind',
        message: 'must be HTTPRouteGroup (a split narrows HTTP routes only), got "UDPRoute"',
      },
    ],
  },
  {
    name: 'a match without a name',
    path: ['spec', 'matches', 0, 'name'],
    value: undefined,
    errors: [{ path: 'spec.matches[0].name', message: 'is required' }],
  },
  {
    name: 'a match in another API group',
    path: ['spec', 'matches', 0, 'apiGroup'],
    value: 'gateway.networking.k8s.io',
    errors: [
      {
        path: 'spec.matches[0].apiGroup',
        message: 'must be "specs.smi-spec.io" when set, got "gateway.networking.k8s.io"',
      },
    ],
  },
];

const versions = [
  ['v1alpha2', validateTrafficSplitV1alpha2, false],
  ['v1alpha3', validateTrafficSplitV1alpha3, true],
  ['v1alpha4', validateTrafficSplitV1alpha4, true],
] as const;

describe.each(versions)('TrafficSplit %s', (version, validate, hasMatches) => {
  const valid = example(`split.smi-spec.io/${version}`, 'TrafficSplit');

  it('normalises a valid object', () => {
    expect(validate(valid)).toEqual({
      ok: true,
      value: {
        kind: 'TrafficSplit',
        apiVersion: `split.smi-spec.io/${version}`,
        namespace: 'shop',
        name: 'orders-canary',
        resourceVersion: '42',
        service: 'orders',
        backends: [
          { service: 'orders-v1', weight: 90 },
          { service: 'orders-v2', weight: 10 },
        ],
        matches: hasMatches ? [{ kind: 'HTTPRouteGroup', name: 'orders-routes' }] : [],
      },
    });
  });

  it('keeps the uid and creation time, which decide between two splits of one Service', () => {
    const stamped = withField(
      withField(valid, ['metadata', 'creationTimestamp'], '2026-01-09T23:59:00Z'),
      ['metadata', 'uid'],
      'c0ffee',
    );
    const result = validate(stamped);
    expect(result.ok && [result.value.creationTimestamp, result.value.uid]).toEqual([
      '2026-01-09T23:59:00Z',
      'c0ffee',
    ]);
    expect(validate(withField(valid, ['metadata', 'creationTimestamp'], 'yesterday'))).toEqual({
      ok: false,
      errors: [{ path: 'metadata.creationTimestamp', message: 'must be an RFC 3339 time, got "yesterday"' }],
    });
  });

  it('accepts a weight of 0', () => {
    expect(validate(withField(valid, ['spec', 'backends', 1, 'weight'], 0)).ok).toBe(true);
  });

  it.each(hasMatches ? [...common, ...withMatches] : common)('rejects $name', ({ path, value, errors }) => {
    expect(validate(withField(valid, path, value))).toEqual({ ok: false, errors });
  });
});

describe('TrafficSplit v1alpha2', () => {
  it('ignores matches, which it does not have', () => {
    const valid = example('split.smi-spec.io/v1alpha2', 'TrafficSplit');
    const result = validateTrafficSplitV1alpha2(withField(valid, ['spec', 'matches'], [{ kind: 'Nope' }]));
    expect(result.ok && result.value.matches).toEqual([]);
  });
});
