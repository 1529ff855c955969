/**
 * Gateway API mesh routes as a user meets them: HTTPRoutes, GRPCRoutes, TCPRoutes and ReferenceGrants applied
 * with the real kubectl to the in-memory API server, the dns-controller writing route status, and requests
 * through the node-proxy on real sockets from caller pods in two namespaces. Each test attaches its routes to
 * a Service of its own, so the tests do not see each other's routes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Answer, type CallerNamespace, GatewayCluster, waitFor } from './gateway-cluster.js';

type Json = Record<string, unknown>;

const hasKubectl = await import('node:fs').then(
  (fs) => fs.existsSync('/usr/bin/kubectl') || fs.existsSync('/usr/local/bin/kubectl'),
);

let cluster: GatewayCluster;

const GW = 'gateway.networking.k8s.io';

/** An HTTPRoute in `namespace` attached to Service `parent` (in `parentNamespace`). */
function httpRoute(
  name: string,
  parent: string,
  rules: Json[],
  options: { namespace?: string; parentNamespace?: string; port?: number } = {},
): Json {
  return {
    apiVersion: `${GW}/v1`,
    kind: 'HTTPRoute',
    metadata: { name, namespace: options.namespace ?? 'shop' },
    spec: {
      parentRefs: [
        {
          group: '',
          kind: 'Service',
          name: parent,
          ...(options.parentNamespace === undefined ? {} : { namespace: options.parentNamespace }),
          ...(options.port === undefined ? {} : { port: options.port }),
        },
      ],
      rules,
    },
  };
}

const to = (name: string, weight?: number, namespace?: string): Json => ({
  name,
  port: 80,
  ...(weight === undefined ? {} : { weight }),
  ...(namespace === undefined ? {} : { namespace }),
});

/** A Service of the test's own in shop, selecting the echo-v1 pods: requests reach v1 unless a route says otherwise. */
async function parentService(name: string): Promise<string> {
  await cluster.service('shop', name, 'echo-v1', cluster.backends.get('echo-v1') ?? 0);
  const host = `${name}.shop.mesh`;
  await waitFor(`${host} routed`, async () => (await cluster.request(host, '/')).echo?.backend === 'echo-v1');
  return host;
}

async function backendOf(
  host: string,
  path: string,
  from?: CallerNamespace,
  headers?: Record<string, string>,
  method?: string,
) {
  const answer = await cluster.request(host, path, {
    ...(from === undefined ? {} : { from }),
    ...(headers === undefined ? {} : { headers }),
    ...(method === undefined ? {} : { method }),
  });
  return answer.echo?.backend ?? `status ${answer.status}`;
}

/** Waits until a request gets the expected answer (routes take effect asynchronously). */
async function eventually(
  host: string,
  path: string,
  check: (a: Answer) => boolean,
  options: Parameters<GatewayCluster['request']>[2] = {},
) {
  let last: Answer | undefined;
  await waitFor(`${host}${path} to answer as expected`, async () => {
    last = await cluster.request(host, path, options);
    return check(last);
  }).catch((error: Error) => {
    throw new Error(
      `${error.message}; last answer ${last?.status} ${JSON.stringify(last?.echo ?? last?.headers)}`,
    );
  });
}

async function conditionsOf(kind: string, namespace: string, name: string): Promise<Record<string, Json>> {
  const route = await cluster.getJson(['get', kind, name, '-n', namespace]);
  const parents = ((route.status as Json | undefined)?.parents ?? []) as Json[];
  const ours = parents.find((p) => p.controllerName === 'nodemesh.io/mesh-controller');
  const conditions = (ours?.conditions ?? []) as Json[];
  return Object.fromEntries(conditions.map((c) => [String(c.type), c]));
}

async function waitForCondition(
  kind: string,
  namespace: string,
  name: string,
  type: string,
  status: string,
  reason: string,
) {
  let seen: Record<string, Json> = {};
  await waitFor(`${kind} ${namespace}/${name} ${type}=${status} (${reason})`, async () => {
    seen = await conditionsOf(kind, namespace, name);
    return seen[type]?.status === status && seen[type]?.reason === reason;
  }).catch((error: Error) => {
    throw new Error(`${error.message}; status says ${JSON.stringify(seen)}`);
  });
  return seen[type];
}

describe.skipIf(!hasKubectl)('Gateway API mesh routes through kubectl and real sockets', () => {
  beforeAll(async () => {
    cluster = new GatewayCluster();
    await cluster.start();
  }, 60_000);

  afterAll(async () => {
    await cluster?.stop();
  }, 30_000);

  it('matches by exact path, path prefix, regular expression, header, query parameter and method', async () => {
    const host = await parentService('matching');
    await cluster.apply(
      httpRoute('matching', 'matching', [
        {
          name: 'exact',
          matches: [{ path: { type: 'Exact', value: '/exact' } }],
          backendRefs: [to('echo-v2')],
        },
        {
          name: 'v2',
          matches: [{ path: { type: 'PathPrefix', value: '/v2' } }],
          backendRefs: [to('echo-v2')],
        },
        {
          matches: [{ path: { type: 'RegularExpression', value: '/items/[0-9]+' } }],
          backendRefs: [to('echo-v2')],
        },
        { matches: [{ headers: [{ name: 'X-Canary', value: 'yes' }] }], backendRefs: [to('echo-v2')] },
        { matches: [{ queryParams: [{ name: 'version', value: '2' }] }], backendRefs: [to('echo-v2')] },
        {
          matches: [{ path: { type: 'PathPrefix', value: '/api' }, method: 'DELETE' }],
          backendRefs: [to('echo-v2')],
        },
        { matches: [{ path: { type: 'PathPrefix', value: '/' } }], backendRefs: [to('echo-v1')] },
      ]),
    );
    await eventually(host, '/exact', (a) => a.echo?.backend === 'echo-v2');
    const cases: [string, string, Record<string, string>?, string?][] = [
      ['/exact', 'echo-v2'],
      ['/exact/more', 'echo-v1'],
      ['/v2', 'echo-v2'],
      ['/v2/', 'echo-v2'],
      ['/v2/x', 'echo-v2'],
      ['/v2example', 'echo-v1'],
      ['/items/42', 'echo-v2'],
      ['/items/x42', 'echo-v1'],
      ['/', 'echo-v2', { 'x-canary': 'yes' }],
      ['/', 'echo-v1', { 'x-canary': 'no' }],
      ['/list?version=2', 'echo-v2'],
      ['/list?version=3', 'echo-v1'],
      ['/api/orders', 'echo-v2', {}, 'DELETE'],
      ['/api/orders', 'echo-v1', {}, 'GET'],
    ];
    for (const [path, backend, headers, method] of cases) {
      expect(
        `${method ?? 'GET'} ${path} ${JSON.stringify(headers ?? {})} → ${await backendOf(host, path, undefined, headers, method)}`,
      ).toBe(`${method ?? 'GET'} ${path} ${JSON.stringify(headers ?? {})} → ${backend}`);
    }
  });

  it('answers 404 to a request no rule matches', async () => {
    const host = await parentService('nomatch');
    await cluster.apply(
      httpRoute('nomatch', 'nomatch', [
        { matches: [{ path: { type: 'Exact', value: '/only' } }], backendRefs: [to('echo-v2')] },
      ]),
    );
    await eventually(host, '/other', (a) => a.status === 404);
    expect((await cluster.request(host, '/other')).headers['x-nodemesh-error']).toBe('NM_NO_MATCHING_RULE');
    expect(await backendOf(host, '/only')).toBe('echo-v2');
  });

  it('applies request and response header modifiers (rule and backendRef), redirects and URL rewrites', async () => {
    const host = await parentService('filters');
    await cluster.apply(
      httpRoute('filters', 'filters', [
        {
          matches: [{ path: { type: 'PathPrefix', value: '/headers' } }],
          filters: [
            {
              type: 'RequestHeaderModifier',
              requestHeaderModifier: {
                set: [{ name: 'X-Set', value: 'set' }],
                add: [{ name: 'X-Add', value: 'added' }],
                remove: ['X-Remove'],
              },
            },
            {
              type: 'ResponseHeaderModifier',
              responseHeaderModifier: { set: [{ name: 'X-Reply', value: 'yes' }] },
            },
          ],
          backendRefs: [to('echo-v1')],
        },
        {
          matches: [{ path: { type: 'PathPrefix', value: '/backend-filters' } }],
          backendRefs: [
            {
              ...to('echo-v1'),
              filters: [
                {
                  type: 'RequestHeaderModifier',
                  requestHeaderModifier: { set: [{ name: 'X-Backend', value: 'v1' }] },
                },
                {
                  type: 'ResponseHeaderModifier',
                  responseHeaderModifier: { add: [{ name: 'X-Via', value: 'v1' }] },
                },
              ],
            },
          ],
        },
        {
          matches: [{ path: { type: 'PathPrefix', value: '/old' } }],
          filters: [
            {
              type: 'RequestRedirect',
              requestRedirect: {
                hostname: 'example.org',
                port: 8083,
                path: { type: 'ReplacePrefixMatch', replacePrefixMatch: '/new' },
                statusCode: 301,
              },
            },
          ],
        },
        {
          matches: [{ path: { type: 'PathPrefix', value: '/scheme' } }],
          filters: [{ type: 'RequestRedirect', requestRedirect: { scheme: 'https' } }],
        },
        {
          matches: [{ path: { type: 'PathPrefix', value: '/prefix/one' } }],
          filters: [
            {
              type: 'URLRewrite',
              urlRewrite: {
                hostname: 'rewritten.example',
                path: { type: 'ReplacePrefixMatch', replacePrefixMatch: '/one' },
              },
            },
          ],
          backendRefs: [to('echo-v1')],
        },
        {
          matches: [{ path: { type: 'PathPrefix', value: '/strip' } }],
          filters: [
            {
              type: 'URLRewrite',
              urlRewrite: { path: { type: 'ReplacePrefixMatch', replacePrefixMatch: '/' } },
            },
          ],
          backendRefs: [to('echo-v1')],
        },
        {
          matches: [{ path: { type: 'PathPrefix', value: '/full' } }],
          filters: [
            {
              type: 'URLRewrite',
              urlRewrite: { path: { type: 'ReplaceFullPath', replaceFullPath: '/replaced' } },
            },
          ],
          backendRefs: [to('echo-v1')],
        },
      ]),
    );
    await eventually(host, '/headers', (a) => a.headers['x-reply'] === 'yes');
    const headers = await cluster.request(host, '/headers', {
      headers: { 'x-set': 'old', 'x-add': 'first', 'x-remove': 'gone' },
    });
    expect(headers.echo?.headers['x-set']).toBe('set');
    expect(headers.echo?.headers['x-add']).toBe('first,added');
    expect(headers.echo?.headers['x-remove']).toBeUndefined();
    expect(headers.headers['x-reply']).toBe('yes');

    // A backendRef's own filters apply to the requests sent to it.
    const viaBackend = await cluster.request(host, '/backend-filters');
    expect([viaBackend.echo?.headers['x-backend'], viaBackend.headers['x-via']]).toEqual(['v1', 'v1']);

    const moved = await cluster.request(host, '/old/page?q=1');
    expect([moved.status, moved.headers.location]).toEqual([301, 'http://example.org:8083/new/page?q=1']);
    const https = await cluster.request(host, '/scheme/x');
    expect([https.status, https.headers.location]).toEqual([302, `https://${host}/scheme/x`]);

    const rewritten = await cluster.request(host, '/prefix/one/two?x=y');
    expect([rewritten.echo?.url, rewritten.echo?.headers.host]).toEqual([
      '/one/two?x=y',
      'rewritten.example',
    ]);
    expect((await cluster.request(host, '/strip/three')).echo?.url).toBe('/three');
    expect((await cluster.request(host, '/strip')).echo?.url).toBe('/');
    expect((await cluster.request(host, '/full/any/thing')).echo?.url).toBe('/replaced');
  });

  it('shifts traffic by backendRef weight: 100/0, 0/100, then about 50/50', async () => {
    const host = await parentService('weights');
    const weighted = (v1: number, v2: number) =>
      httpRoute('weights', 'weights', [{ backendRefs: [to('echo-v1', v1), to('echo-v2', v2)] }]);
    const tally = async (count: number) => {
      const seen: Record<string, number> = {};
      for (let i = 0; i < count; i++) {
        const backend = await backendOf(host, '/');
        seen[backend] = (seen[backend] ?? 0) + 1;
      }
      return seen;
    };
    await cluster.apply(weighted(0, 100));
    await eventually(host, '/', (a) => a.echo?.backend === 'echo-v2');
    expect(await tally(50)).toEqual({ 'echo-v2': 50 });
    await cluster.apply(weighted(100, 0));
    await eventually(host, '/', (a) => a.echo?.backend === 'echo-v1');
    expect(await tally(50)).toEqual({ 'echo-v1': 50 });
    await cluster.apply(weighted(50, 50));
    await waitFor('both backends', async () => Object.keys(await tally(10)).length === 2);
    const counts = await tally(200);
    // Binomial(200, 0.5): ±5 standard deviations is ±35.
    expect(counts['echo-v1'] ?? 0).toBeGreaterThan(65);
    expect(counts['echo-v2'] ?? 0).toBeGreaterThan(65);
  });

  it('honours timeouts (request) and retry (codes, attempts)', async () => {
    const host = await parentService('resilience');
    await cluster.apply(
      httpRoute('resilience', 'resilience', [
        {
          matches: [{ path: { type: 'Exact', value: '/slow' } }],
          timeouts: { request: '300ms' },
          backendRefs: [to('echo-v1')],
        },
        {
          matches: [{ path: { type: 'PathPrefix', value: '/flaky-retried' } }],
          retry: { codes: [503], attempts: 2 },
          backendRefs: [to('echo-v1')],
        },
        { matches: [{ path: { type: 'PathPrefix', value: '/' } }], backendRefs: [to('echo-v1')] },
      ]),
    );
    await eventually(host, '/slow', (a) => a.status === 504, { timeoutMs: 5_000 });
    const started = performance.now();
    const slow = await cluster.request(host, '/slow');
    expect(slow.status).toBe(504);
    expect(performance.now() - started).toBeLessThan(1_200);
    // /flaky-* fails twice, then answers: the rule with retry hides it, the catch-all does not.
    expect((await cluster.request(host, '/flaky-retried')).status).toBe(200);
    expect(cluster.calls.get('echo-v1 /flaky-retried')).toBe(3);
    expect((await cluster.request(host, '/flaky-plain')).status).toBe(503);
  });

  it('orders matches by precedence across routes: exact over prefix, longer prefix first, then the older route', async () => {
    const host = await parentService('precedence');
    await cluster.apply(
      httpRoute('precedence-old', 'precedence', [
        { matches: [{ path: { type: 'PathPrefix', value: '/a' } }], backendRefs: [to('echo-v1')] },
      ]),
    );
    await eventually(host, '/a', (a) => a.echo?.backend === 'echo-v1');
    // A second, newer route with the same match loses the tie; its longer prefix and exact match win.
    await new Promise((resolve) => setTimeout(resolve, 1_100)); // creationTimestamp has second precision
    await cluster.apply(
      httpRoute('precedence-new', 'precedence', [
        { matches: [{ path: { type: 'PathPrefix', value: '/a' } }], backendRefs: [to('echo-v2')] },
        { matches: [{ path: { type: 'PathPrefix', value: '/a/b' } }], backendRefs: [to('echo-v2')] },
        {
          matches: [
            { path: { type: 'Exact', value: '/a' } },
            { path: { type: 'PathPrefix', value: '/a/b/c' }, headers: [{ name: 'x-h', value: '1' }] },
          ],
          backendRefs: [to('echo-v1')],
        },
      ]),
    );
    await eventually(host, '/a/b', (a) => a.echo?.backend === 'echo-v2');
    expect(await backendOf(host, '/a/x')).toBe('echo-v1'); // tie on /a: the older route
    expect(await backendOf(host, '/a')).toBe('echo-v1'); // Exact wins over every prefix
    expect(await backendOf(host, '/a/b/z')).toBe('echo-v2'); // longer prefix
    expect(await backendOf(host, '/a/b/c', undefined, { 'x-h': '1' })).toBe('echo-v1');
  });

  it('lets a consumer route change calls from its namespace only, over the producer route', async () => {
    const host = await parentService('consumed');
    await cluster.apply(
      httpRoute('producer', 'consumed', [
        {
          filters: [
            {
              type: 'ResponseHeaderModifier',
              responseHeaderModifier: { set: [{ name: 'X-Route', value: 'producer' }] },
            },
          ],
          backendRefs: [to('echo-v1')],
        },
      ]),
      httpRoute(
        'consumer',
        'consumed',
        [
          {
            filters: [
              {
                type: 'ResponseHeaderModifier',
                responseHeaderModifier: { set: [{ name: 'X-Route', value: 'consumer' }] },
              },
            ],
            backendRefs: [to('consumed', undefined, 'shop')],
          },
        ],
        { namespace: 'web', parentNamespace: 'shop' },
      ),
    );
    await eventually(host, '/', (a) => a.headers['x-route'] === 'consumer', { from: 'web' });
    await eventually(host, '/', (a) => a.headers['x-route'] === 'producer', { from: 'shop' });
    // A consumer route needs no ReferenceGrant to send to the Service it is attached to.
    await waitForCondition('httproute', 'web', 'consumer', 'ResolvedRefs', 'True', 'ResolvedRefs');
    await waitForCondition('httproute', 'web', 'consumer', 'Accepted', 'True', 'Accepted');
  });

  it('writes status: Accepted, ResolvedRefs and the reasons a route does nothing', async () => {
    const host = await parentService('status');
    await cluster.apply(
      httpRoute('status-ok', 'status', [
        { matches: [{ path: { type: 'PathPrefix', value: '/ok' } }], backendRefs: [to('echo-v2')] },
      ]),
      httpRoute('status-missing', 'status', [
        { matches: [{ path: { type: 'PathPrefix', value: '/missing' } }], backendRefs: [to('nowhere')] },
      ]),
      httpRoute('status-foreign', 'status', [
        {
          matches: [{ path: { type: 'PathPrefix', value: '/foreign' } }],
          backendRefs: [to('echo-v2', undefined, 'backends')],
        },
      ]),
      httpRoute('status-mirror', 'status', [
        {
          matches: [{ path: { type: 'PathPrefix', value: '/mirror' } }],
          filters: [{ type: 'RequestMirror', requestMirror: { backendRef: { name: 'echo-v2', port: 80 } } }],
          backendRefs: [to('echo-v1')],
        },
      ]),
      httpRoute('status-orphan', 'no-such-service', [{ backendRefs: [to('echo-v1')] }]),
    );
    const ok = await waitForCondition('httproute', 'shop', 'status-ok', 'Accepted', 'True', 'Accepted');
    expect(ok).toMatchObject({ observedGeneration: 1, lastTransitionTime: expect.any(String) });
    await waitForCondition('httproute', 'shop', 'status-ok', 'ResolvedRefs', 'True', 'ResolvedRefs');
    await waitForCondition('httproute', 'shop', 'status-missing', 'ResolvedRefs', 'False', 'BackendNotFound');
    await waitForCondition('httproute', 'shop', 'status-foreign', 'ResolvedRefs', 'False', 'RefNotPermitted');
    await waitForCondition('httproute', 'shop', 'status-mirror', 'Accepted', 'False', 'UnsupportedValue');
    await waitForCondition('httproute', 'shop', 'status-orphan', 'Accepted', 'False', 'NoMatchingParent');
    // What the proxy does with them: 500 for a backend it cannot send to or a filter it does not implement.
    await eventually(host, '/ok', (a) => a.echo?.backend === 'echo-v2');
    expect((await cluster.request(host, '/missing')).status).toBe(500);
    expect((await cluster.request(host, '/foreign')).status).toBe(500);
    expect((await cluster.request(host, '/mirror')).status).toBe(500);

    // A ReferenceGrant in the backend's namespace permits the reference.
    await cluster.apply({
      apiVersion: `${GW}/v1beta1`,
      kind: 'ReferenceGrant',
      metadata: { name: 'shop-routes', namespace: 'backends' },
      spec: {
        from: [{ group: GW, kind: 'HTTPRoute', namespace: 'shop' }],
        to: [{ group: '', kind: 'Service', name: 'echo-v2' }],
      },
    });
    await waitForCondition('httproute', 'shop', 'status-foreign', 'ResolvedRefs', 'True', 'ResolvedRefs');
    await eventually(host, '/foreign', (a) => a.echo?.backend === 'echo-v2');
    // A route the validator refuses (a pattern RE2 cannot run) is skipped, with a Warning Event on it.
    await cluster.apply(
      httpRoute('status-invalid', 'status', [
        {
          matches: [{ path: { type: 'RegularExpression', value: '/(a)\\1' } }],
          backendRefs: [to('echo-v2')],
        },
      ]),
    );
    await waitFor('a Warning Event on the invalid route', async () => {
      const events = await cluster.getJson([
        'get',
        'events',
        '-n',
        'shop',
        '--field-selector',
        'involvedObject.name=status-invalid',
      ]);
      return ((events.items ?? []) as Json[]).some(
        (e) => e.reason === 'InvalidHTTPRoute' && String(e.message).includes('RE2'),
      );
    });
    const text = await cluster.kubectl(['get', 'httproute', 'status-missing', '-n', 'shop', '-o', 'yaml']);
    expect(text).toContain('reason: BackendNotFound');
  });

  it('wins over a TrafficSplit on the same Service, with a Warning Event on the split', async () => {
    const host = await parentService('smi');
    await cluster.service('shop', 'smi-v2', 'echo-v2', cluster.backends.get('echo-v2') ?? 0);
    await cluster.apply({
      apiVersion: 'split.smi-spec.io/v1alpha4',
      kind: 'TrafficSplit',
      metadata: { name: 'smi-split', namespace: 'shop' },
      spec: { service: 'smi', backends: [{ service: 'smi-v2', weight: 100 }] },
    });
    await eventually(host, '/', (a) => a.echo?.backend === 'echo-v2');
    await cluster.apply(httpRoute('smi-route', 'smi', [{ backendRefs: [to('echo-v1')] }]));
    await eventually(host, '/', (a) => a.echo?.backend === 'echo-v1');
    await waitFor('a Warning Event on the TrafficSplit', async () => {
      const events = await cluster.getJson([
        'get',
        'events',
        '-n',
        'shop',
        '--field-selector',
        'involvedObject.name=smi-split',
      ]);
      return ((events.items ?? []) as Json[]).some(
        (e) => e.reason === 'OverriddenByRoute' && e.type === 'Warning',
      );
    });
    await cluster.kubectl(['delete', 'httproute', 'smi-route', '-n', 'shop']);
    await eventually(host, '/', (a) => a.echo?.backend === 'echo-v2');
  });

  it('routes gRPC calls by service and method with a GRPCRoute (h2c)', async () => {
    await cluster.service('shop', 'grpc', 'grpc-a', cluster.backends.get('grpc-a') ?? 0, {
      'nodemesh.io/scheme': 'h2c',
    });
    const host = 'grpc.shop.mesh';
    await waitFor(
      'grpc routed',
      async () => (await cluster.grpcCall(host, '/shop.Orders/Get')).backend === 'grpc-a',
    );
    await cluster.apply({
      apiVersion: `${GW}/v1`,
      kind: 'GRPCRoute',
      metadata: { name: 'grpc', namespace: 'shop' },
      spec: {
        parentRefs: [{ group: '', kind: 'Service', name: 'grpc' }],
        rules: [
          {
            matches: [{ method: { service: 'shop.Orders', method: 'Create' } }],
            backendRefs: [to('grpc-b')],
          },
          { matches: [{ method: { service: 'shop.Payments' } }], backendRefs: [to('grpc-b')] },
          {
            matches: [{ method: { service: 'shop.Weighted' } }],
            backendRefs: [to('grpc-a', 0), to('grpc-b', 3)],
          },
          { backendRefs: [to('grpc-a')] },
        ],
      },
    });
    await waitFor(
      'the GRPCRoute',
      async () => (await cluster.grpcCall(host, '/shop.Orders/Create')).backend === 'grpc-b',
    );
    expect((await cluster.grpcCall(host, '/shop.Orders/Get')).backend).toBe('grpc-a');
    expect((await cluster.grpcCall(host, '/shop.Payments/Pay')).backend).toBe('grpc-b');
    for (let i = 0; i < 10; i++)
      expect((await cluster.grpcCall(host, '/shop.Weighted/Any')).backend).toBe('grpc-b');
    await waitForCondition('grpcroute', 'shop', 'grpc', 'Accepted', 'True', 'Accepted');
  });

  it('weights TCP connections with a TCPRoute', async () => {
    await cluster.service('shop', 'db', 'tcp-a', cluster.backends.get('tcp-a') ?? 0, {
      'nodemesh.io/traffic-type': 'tcp',
    });
    await waitFor('db listening', () => cluster.tcpPort('db') !== undefined);
    const port = cluster.tcpPort('db') ?? 0;
    expect(await cluster.tcpGreeting(port)).toBe('hello from tcp-a');
    await cluster.apply({
      apiVersion: `${GW}/v1alpha2`,
      kind: 'TCPRoute',
      metadata: { name: 'db', namespace: 'shop' },
      spec: {
        parentRefs: [{ group: '', kind: 'Service', name: 'db' }],
        rules: [{ backendRefs: [to('tcp-a', 0), to('tcp-b', 1)] }],
      },
    });
    await waitFor('the TCPRoute', async () => (await cluster.tcpGreeting(port)) === 'hello from tcp-b');
    for (let i = 0; i < 10; i++) expect(await cluster.tcpGreeting(port)).toBe('hello from tcp-b');
    await waitForCondition(
      'tcproutes.gateway.networking.k8s.io',
      'shop',
      'db',
      'Accepted',
      'True',
      'Accepted',
    );
  });
});
