import { describe, expect, it } from 'vitest';
import { example, type InvalidCase, withField } from '../../test/support/mutate.js';
import { validateHTTPRouteGroupV1alpha3, validateHTTPRouteGroupV1alpha4 } from './http-route-group.js';

const versions = [
  ['v1alpha3', validateHTTPRouteGroupV1alpha3],
  ['v1alpha4', validateHTTPRouteGroupV1alpha4],
] as const;

const methodMessage = (got: string) =>
  `must be an upper-case HTTP method (GET, HEAD, POST, PUT, DELETE, CONNECT, OPTIONS, TRACE, PATCH) or "*", got ${got}`;

const invalid: InvalidCase[] = [
  {
    name: 'a lower-case method',
    path: ['spec', 'matches', 0, 'methods', 1],
    value: 'get',
    errors: [{ path: 'spec.matches[0].methods[1]', message: methodMessage('"get"') }],
  },
  {
    name: 'an unknown method',
    path: ['spec', 'matches', 1, 'methods', 0],
    value: 'FETCH',
    errors: [{ path: 'spec.matches[1].methods[0]', message: methodMessage('"FETCH"') }],
  },
  {
    name: 'a duplicated match name',
    path: ['spec', 'matches', 2, 'name'],
    value: 'checkout',
    errors: [
      { path: 'spec.matches[2].name', message: 'duplicates the name "checkout" of spec.matches[0].name' },
    ],
  },
  {
    name: 'a match without a name',
    path: ['spec', 'matches', 1, 'name'],
    value: undefined,
    errors: [{ path: 'spec.matches[1].name', message: 'is required' }],
  },
  {
    name: 'a path regex with a backreference',
    path: ['spec', 'matches', 0, 'pathRegex'],
    value: '/(a)\\1',
    errors: [
      {
        path: 'spec.matches[0].pathRegex',
        message:
          'is not a regular expression RE2 accepts (error parsing regexp: invalid escape sequence: `\\1`)',
      },
    ],
  },
  {
    name: 'a header regex with lookahead, map form',
    path: ['spec', 'matches', 2, 'headers', 'User-Agent'],
    value: '(?=Firefox)',
    errors: [
      {
        path: 'spec.matches[2].headers[User-Agent]',
        message:
          'is not a regular expression RE2 accepts (error parsing regexp: invalid or unsupported Perl syntax: `(?=`)',
      },
    ],
  },
  {
    name: 'a header regex that is not a string, list form',
    path: ['spec', 'matches', 3, 'headers', 0, 'cookie'],
    value: 7,
    errors: [{ path: 'spec.matches[3].headers[0][cookie]', message: 'must be a string, got 7' }],
  },
  {
    name: 'a pattern that is too long',
    path: ['spec', 'matches', 1, 'pathRegex'],
    value: 'a'.repeat(1025),
    errors: [
      { path: 'spec.matches[1].pathRegex', message: 'must be at most 1024 characters long, got 1025' },
    ],
  },
  {
    name: 'a header name that is not a token',
    path: ['spec', 'matches', 2, 'headers'],
    value: { 'user agent': 'x' },
    errors: [
      {
        path: 'spec.matches[2].headers[user agent]',
        message: 'header name must be an HTTP token, got "user agent"',
      },
    ],
  },
  {
    name: 'the same header twice in different case',
    path: ['spec', 'matches', 3, 'headers'],
    value: [{ Cookie: 'a' }, { cookie: 'b' }],
    errors: [{ path: 'spec.matches[3].headers[1][cookie]', message: 'names header "cookie" a second time' }],
  },
  {
    name: 'headers that are neither a map nor a list',
    path: ['spec', 'matches', 2, 'headers'],
    value: 'user-agent: x',
    errors: [
      {
        path: 'spec.matches[2].headers',
        message: 'must be a map of header name to regular expression, got "user-agent: x"',
      },
    ],
  },
  {
    name: 'missing matches',
    path: ['spec', 'matches'],
    value: undefined,
    errors: [{ path: 'spec.matches', message: 'is required' }],
  },
  {
    name: 'a match that is not an object',
    path: ['spec', 'matches', 0],
    value: 'checkout',
    errors: [{ path: 'spec.matches[0]', message: 'must be an object, got "checkout"' }],
  },
];

describe.each(versions)('HTTPRouteGroup %s', (version, validate) => {
  const valid = example(`specs.smi-spec.io/${version}`, 'HTTPRouteGroup');

  it('normalises both header forms to one map with lower-case names', () => {
    expect(validate(valid)).toEqual({
      ok: true,
      value: {
        kind: 'HTTPRouteGroup',
        apiVersion: `specs.smi-spec.io/${version}`,
        namespace: 'shop',
        name: 'orders-routes',
        resourceVersion: '42',
        matches: [
          { name: 'checkout', pathRegex: '/checkout(/.*)?', methods: ['POST', 'GET'], headers: {} },
          { name: 'metrics', pathRegex: '/metrics', methods: ['GET'], headers: {} },
          { name: 'firefox', methods: [], headers: { 'user-agent': '.*Firefox.*' } },
          { name: 'insiders', methods: ['*'], headers: { cookie: '^(.*?;)?(type=insider)(;.*)?$' } },
        ],
      },
    });
  });

  it('keeps a header named __proto__ as a plain key', () => {
    const headers = JSON.parse('{"__proto__": "x"}') as unknown;
    const result = validate(withField(valid, ['spec', 'matches', 2, 'headers'], headers));
    expect(result.ok && Object.keys(result.value.matches[2]?.headers ?? {})).toEqual(['__proto__']);
  });

  it.each(invalid)('rejects $name', ({ path, value, errors }) => {
    expect(validate(withField(valid, path, value))).toEqual({ ok: false, errors });
  });
});
