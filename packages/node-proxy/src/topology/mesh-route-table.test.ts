import { type MeshRoute, parseGatewayResource, type ShadowPort } from '@nodemesh/smi-types';
import { describe, expect, it } from 'vitest';
import { decideMeshRule } from '../routing/decide-rule.js';
import { selectMatch, tablesFor } from '../routing/select-rule.js';
import type { MeshServiceInput, TopologyInputs } from './inputs.js';
import { compileMeshRouting, meshRoutesByParent } from './mesh-route-table.js';
import { resolveBackend } from './service-routes.js';

function route(
  name: string,
  rules: unknown[],
  options: { namespace?: string; created?: string; port?: number; kind?: string } = {},
): MeshRoute {
  const kind = options.kind ?? 'HTTPRoute';
  const parsed = parseGatewayResource(
    {
      kind,
      metadata: {
        name,
        namespace: options.namespace ?? 'shop',
        creationTimestamp: options.created ?? '2026-01-01T00:00:00Z',
      },
      spec: {
        parentRefs: [
          {
            group: '',
            kind: 'Service',
            name: 'orders',
            namespace: 'shop',
            ...(options.port === undefined ? {} : { port: options.port }),
          },
        ],
        rules,
      },
    },
    kind as 'HTTPRoute',
  );
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
  return parsed.value as MeshRoute;
}

const service = (name: string, ports = [80, 8080]): MeshServiceInput => ({
  namespace: 'shop',
  name,
  config: {
    trafficType: 'http',
    scheme: 'http',
    retry: undefined,
    timeoutMs: undefined,
    circuitBreaker: undefined,
    rateLimit: undefined,
  },
  ports: ports.map((port) => ({ name: `p${port}`, port, protocol: 'TCP' as const })),
});

const services = new Map(['orders', 'v1', 'v2'].map((n) => [`shop/${n}`, service(n)]));
const inputs: TopologyInputs = {
  meshDomain: 'mesh',
  services,
  endpoints: new Map(
    ['v1', 'v2'].map((n) => [
      `shop/${n}`,
      [{ address: '10.0.0.1', ports: { p80: 80 }, ready: true, serving: true, terminating: false }],
    ]),
  ),
  trafficSplits: [],
  httpRouteGroups: new Map(),
};
const port80: ShadowPort = { name: 'p80', port: 80, protocol: 'TCP', trafficType: 'http', targetPort: 5000 };
const port8080: ShadowPort = { ...port80, name: 'p8080', port: 8080, targetPort: 5001 };
const to = (name: string, weight = 1) => ({ name, port: 80, weight });

function compile(routes: MeshRoute[], port = port80) {
  const routing = compileMeshRouting(
    services.get('shop/orders') as MeshServiceInput,
    port,
    meshRoutesByParent(routes).get('shop/orders'),
    inputs,
    resolveBackend,
  );
  if (routing === undefined) throw new Error('nothing attached');
  return routing;
}

function backendFor(
  routes: MeshRoute[],
  path: string,
  headers: Record<string, string> = {},
  caller?: string,
) {
  const table = tablesFor(compile(routes), caller)?.http;
  if (table === undefined) return 'no table';
  const decision = decideMeshRule(table, { method: 'GET', path, headers }, 'orders.shop.mesh', () => 0.5);
  return decision.kind === 'route' ? decision.backend.service.name : decision.kind;
}

describe('mesh route tables', () => {
  it('orders matches by precedence: exact, regex, longest prefix, method, headers, query, then route age', () => {
    const older = route(
      'older',
      [{ matches: [{ path: { type: 'PathPrefix', value: '/a' } }], backendRefs: [to('v1')] }],
      {
        created: '2026-01-01T00:00:00Z',
      },
    );
    const newer = route(
      'newer',
      [
        { matches: [{ path: { type: 'PathPrefix', value: '/a' } }], backendRefs: [to('v2')] },
        {
          matches: [{ path: { type: 'PathPrefix', value: '/a' }, headers: [{ name: 'x', value: '1' }] }],
          backendRefs: [to('v2')],
        },
        { matches: [{ path: { type: 'RegularExpression', value: '/a/[0-9]+' } }], backendRefs: [to('v2')] },
      ],
      { created: '2026-01-02T00:00:00Z' },
    );
    // Given newest first, still sorted: the tie on /a goes to the older route.
    expect(backendFor([newer, older], '/a/b')).toBe('v1');
    expect(backendFor([newer, older], '/a/b', { x: '1' })).toBe('v2');
    expect(backendFor([newer, older], '/a/12')).toBe('v2');
    expect(backendFor([newer, older], '/b')).toBe('no-match');
  });

  it('keeps consumer routes to callers of their namespace', () => {
    const producer = route('p', [{ backendRefs: [to('v1')] }]);
    const consumer = route('c', [{ backendRefs: [{ ...to('orders'), namespace: 'shop' }] }], {
      namespace: 'web',
    });
    const routing = compile([producer, consumer]);
    expect([...routing.consumers.keys()]).toEqual(['web']);
    expect(backendFor([producer, consumer], '/', {}, 'web')).toBe('orders');
    expect(backendFor([producer, consumer], '/', {}, 'shop')).toBe('v1');
    expect(backendFor([producer, consumer], '/', {}, undefined)).toBe('v1');
  });

  it('attaches by parentRef port, and a backend it cannot resolve answers 500 for its share', () => {
    const onlyOn8080 = route('r', [{ backendRefs: [to('v1')] }], { port: 8080 });
    expect(
      compileMeshRouting(service('orders'), port80, [onlyOn8080], inputs, resolveBackend),
    ).toBeUndefined();
    expect(compile([onlyOn8080], port8080).producer?.http?.matches).toHaveLength(1);
    const missing = route('m', [{ backendRefs: [to('nowhere')] }]);
    expect(backendFor([missing], '/')).toBe('unusable');
    const table = compile([missing]).producer?.http;
    expect(table?.matches[0]?.rule.backends[0]?.problem).toBe('BackendNotFound');
  });

  it('reads the query string only when a match needs it', () => {
    const plain = compile([route('r', [{ backendRefs: [to('v1')] }])]).producer?.http;
    expect(plain?.readsQuery).toBe(false);
    const query = compile([
      route('q', [{ matches: [{ queryParams: [{ name: 'v', value: '2' }] }], backendRefs: [to('v2')] }]),
    ]).producer?.http;
    expect(query?.readsQuery).toBe(true);
    if (query === undefined) return;
    expect(selectMatch(query, { method: 'GET', path: '/x?v=2', headers: {} })).toBeDefined();
    expect(selectMatch(query, { method: 'GET', path: '/x?v=3', headers: {} })).toBeUndefined();
  });
});
