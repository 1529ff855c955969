import { describe, expect, it } from 'vitest';
import { example, type InvalidCase, withField } from '../../test/support/mutate.js';
import {
  validateTCPRouteV1alpha3,
  validateTCPRouteV1alpha4,
  validateUDPRouteV1alpha4,
} from './port-routes.js';

const meta = { namespace: 'shop', resourceVersion: '42' };

describe('TCPRoute v1alpha3', () => {
  const valid = example('specs.smi-spec.io/v1alpha3', 'TCPRoute');

  it('stands for every port: no matches', () => {
    expect(validateTCPRouteV1alpha3(valid)).toEqual({
      ok: true,
      value: {
        ...meta,
        kind: 'TCPRoute',
        apiVersion: 'specs.smi-spec.io/v1alpha3',
        name: 'orders-tcp',
        matches: [],
      },
    });
    expect(validateTCPRouteV1alpha3(withField(valid, ['spec'], undefined)).ok).toBe(true);
  });

  it('rejects a spec that is not an object', () => {
    expect(validateTCPRouteV1alpha3(withField(valid, ['spec'], []))).toEqual({
      ok: false,
      errors: [{ path: 'spec', message: 'must be an object, got a list' }],
    });
  });
});

const invalid = (firstPort: number): InvalidCase[] => [
  {
    name: 'port 0',
    path: ['spec', 'matches', 'ports', 1],
    value: 0,
    errors: [{ path: 'spec.matches.ports[1]', message: 'must be a port number from 1 to 65535, got 0' }],
  },
  {
    name: 'a port as a string',
    path: ['spec', 'matches', 'ports', 0],
    value: '3306',
    errors: [{ path: 'spec.matches.ports[0]', message: 'must be a port number from 1 to 65535, got "3306"' }],
  },
  {
    name: 'a port listed twice',
    path: ['spec', 'matches', 'ports', 1],
    value: firstPort,
    errors: [{ path: 'spec.matches.ports[1]', message: `lists port ${firstPort} a second time` }],
  },
  {
    name: 'matches as a list',
    path: ['spec', 'matches'],
    value: [{ ports: [1] }],
    errors: [{ path: 'spec.matches', message: 'must be an object, got a list' }],
  },
  {
    name: 'a name that is not a string',
    path: ['spec', 'matches', 'name'],
    value: 5,
    errors: [{ path: 'spec.matches.name', message: 'must be a string, got 5' }],
  },
];

describe.each([
  ['TCPRoute', validateTCPRouteV1alpha4],
  ['UDPRoute', validateUDPRouteV1alpha4],
] as const)('%s v1alpha4', (kind, validate) => {
  const valid = example('specs.smi-spec.io/v1alpha4', kind);
  const firstPort = (valid.spec as { matches: { ports: number[] } }).matches.ports[0] ?? 0;

  it('normalises its one match object to a list of one', () => {
    const result = validate(valid);
    expect(result.ok && result.value.kind).toBe(kind);
    expect(result.ok && result.value.matches).toHaveLength(1);
    expect(result.ok && result.value.matches[0]?.ports[0]).toBe(firstPort);
  });

  it('reads absent matches and empty ports as any port', () => {
    const none = validate(withField(valid, ['spec', 'matches'], undefined));
    expect(none.ok && none.value.matches).toEqual([]);
    const empty = validate(withField(valid, ['spec', 'matches'], { ports: [] }));
    expect(empty.ok && empty.value.matches).toEqual([{ name: '', ports: [] }]);
  });

  it.each(invalid(firstPort))('rejects $name', ({ path, value, errors }) => {
    expect(validate(withField(valid, path, value))).toEqual({ ok: false, errors });
  });
});
