/**
 * One valid object of every served SMI kind and version, as `kubectl apply` would send it. Tests use them as
 * seeds; local mode and documentation may show them to users.
 */
export interface SmiExample {
  readonly apiVersion: string;
  readonly kind: string;
  readonly object: Readonly<Record<string, unknown>>;
}

const meta = (name: string) => ({ name, namespace: 'shop', resourceVersion: '42' });

const target = (apiVersion: string) => ({
  apiVersion,
  kind: 'TrafficTarget',
  metadata: meta('orders-from-web'),
  spec: {
    destination: { kind: 'ServiceAccount', name: 'orders', namespace: 'shop', port: 8080 },
    sources: [
      { kind: 'ServiceAccount', name: 'web', namespace: 'shop' },
      { kind: 'ServiceAccount', name: 'prometheus', namespace: 'monitoring' },
    ],
    rules: [
      { kind: 'HTTPRouteGroup', name: 'orders-routes', matches: ['checkout'] },
      { kind: 'TCPRoute', name: 'orders-tcp' },
    ],
  },
});

const routeGroup = (apiVersion: string) => ({
  apiVersion,
  kind: 'HTTPRouteGroup',
  metadata: meta('orders-routes'),
  spec: {
    matches: [
      { name: 'checkout', pathRegex: '/checkout(/.*)?', methods: ['POST', 'GET'] },
      { name: 'metrics', pathRegex: '/metrics', methods: ['GET'] },
      { name: 'firefox', headers: { 'User-Agent': '.*Firefox.*' } },
      { name: 'insiders', headers: [{ cookie: '^(.*?;)?(type=insider)(;.*)?$' }], methods: ['*'] },
    ],
  },
});

const split = (apiVersion: string, withMatches: boolean) => ({
  apiVersion,
  kind: 'TrafficSplit',
  metadata: meta('orders-canary'),
  spec: {
    service: 'orders',
    ...(withMatches ? { matches: [{ kind: 'HTTPRouteGroup', name: 'orders-routes' }] } : {}),
    backends: [
      { service: 'orders-v1', weight: 90 },
      { service: 'orders-v2', weight: 10 },
    ],
  },
});

const example = (object: { apiVersion: string; kind: string; [field: string]: unknown }): SmiExample => ({
  apiVersion: object.apiVersion,
  kind: object.kind,
  object,
});

export const SMI_EXAMPLES: readonly SmiExample[] = [
  example(target('access.smi-spec.io/v1alpha2')),
  example(target('access.smi-spec.io/v1alpha3')),
  example(routeGroup('specs.smi-spec.io/v1alpha3')),
  example(routeGroup('specs.smi-spec.io/v1alpha4')),
  example({
    apiVersion: 'specs.smi-spec.io/v1alpha3',
    kind: 'TCPRoute',
    metadata: meta('orders-tcp'),
    spec: {},
  }),
  example({
    apiVersion: 'specs.smi-spec.io/v1alpha4',
    kind: 'TCPRoute',
    metadata: meta('orders-tcp'),
    spec: { matches: { name: 'mysql', ports: [3306, 6446] } },
  }),
  example({
    apiVersion: 'specs.smi-spec.io/v1alpha4',
    kind: 'UDPRoute',
    metadata: meta('orders-udp'),
    spec: { matches: { ports: [989, 990] } },
  }),
  example(split('split.smi-spec.io/v1alpha2', false)),
  example(split('split.smi-spec.io/v1alpha3', true)),
  example(split('split.smi-spec.io/v1alpha4', true)),
];
