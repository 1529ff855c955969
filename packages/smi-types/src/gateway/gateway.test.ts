import type { IHTTPRoute } from '@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1/HTTPRoute';
import type { IGRPCRoute } from '@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1alpha2/GRPCRoute';
import type { ITCPRoute } from '@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1alpha2/TCPRoute';
import type { IReferenceGrant } from '@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1beta1/ReferenceGrant';
import { describe, expect, it } from 'vitest';
import { formatFieldErrors } from '../validation/result.js';
import { gatewayCustomResourceDefinitions } from './crds.js';
import { parseGatewayResource } from './kinds.js';
import type { MeshHttpRoute, MeshTcpRoute, ReferenceGrant } from './model.js';
import { referencePermitted } from './reference-grant.js';

/**
 * The typed models (@kubernetes-models/gateway-api 0.5.1, the newest that runs on Node 20) describe Gateway
 * API v1.0; fields added since (a rule's `name`, redirect statuses 303/307/308, `retry`) and deliberately
 * invalid values go through this.
 */
type HttpRule = NonNullable<IHTTPRoute['spec']['rules']>[number];
const beyondV1_0 = (rule: Record<string, unknown>): HttpRule => rule as HttpRule;

const meta = { name: 'r', namespace: 'shop', generation: 3, creationTimestamp: '2026-01-02T03:04:05Z' };

function httpRoute(spec: IHTTPRoute['spec']): IHTTPRoute {
  return { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'HTTPRoute', metadata: meta, spec };
}

function parsedHttp(spec: IHTTPRoute['spec']): MeshHttpRoute {
  const result = parseGatewayResource(httpRoute(spec), 'HTTPRoute');
  if (!result.ok) throw new Error(formatFieldErrors(result.errors));
  return result.value as MeshHttpRoute;
}

function errorsOf(raw: unknown, kind: 'HTTPRoute' | 'GRPCRoute' | 'TCPRoute' | 'ReferenceGrant'): string[] {
  const result = parseGatewayResource(raw, kind);
  return result.ok ? [] : result.errors.map((e) => `${e.path}: ${e.message}`);
}

describe('HTTPRoute', () => {
  it('fills in the defaults of the API: parent namespace, match-all rule, PathPrefix /, weight 1', () => {
    const route = parsedHttp({
      parentRefs: [{ group: '', kind: 'Service', name: 'orders', port: 80 }],
      rules: [{ backendRefs: [{ name: 'orders-v1', port: 80 }] }],
    });
    expect(route.meta).toMatchObject({
      namespace: 'shop',
      name: 'r',
      generation: 3,
      createdAt: Date.parse(meta.creationTimestamp),
    });
    expect(route.parentRefs).toEqual([
      {
        group: '',
        kind: 'Service',
        namespace: 'shop',
        namespaceGiven: false,
        name: 'orders',
        port: 80,
        sectionName: undefined,
      },
    ]);
    expect(route.rules[0]?.matches).toEqual([
      { path: { type: 'PathPrefix', value: '/' }, headers: [], queryParams: [], method: undefined },
    ]);
    expect(route.rules[0]?.backends[0]).toMatchObject({
      group: '',
      kind: 'Service',
      namespace: 'shop',
      name: 'orders-v1',
      port: 80,
      weight: 1,
    });
  });

  it('reads matches, filters, timeouts and retry', () => {
    const route = parsedHttp({
      parentRefs: [{ group: '', kind: 'Service', name: 'orders' }],
      rules: [
        beyondV1_0({
          name: 'canary',
          matches: [
            {
              path: { type: 'Exact', value: '/checkout' },
              headers: [{ name: 'X-Canary', value: 'yes' }],
              queryParams: [{ type: 'RegularExpression', name: 'v', value: '2.*' }],
              method: 'POST',
            },
          ],
          filters: [
            {
              type: 'RequestHeaderModifier',
              requestHeaderModifier: { set: [{ name: 'X-A', value: '1' }], remove: ['X-B'] },
            },
            {
              type: 'URLRewrite',
              urlRewrite: {
                hostname: 'orders.example',
                path: { type: 'ReplaceFullPath', replaceFullPath: '/pay' },
              },
            },
          ],
          backendRefs: [{ name: 'orders-v2', port: 80, weight: 0 }],
          timeouts: { request: '2s', backendRequest: '500ms' },
        }),
      ],
    });
    const rule = route.rules[0];
    expect(rule?.name).toBe('canary');
    expect(rule?.matches[0]).toEqual({
      path: { type: 'Exact', value: '/checkout' },
      headers: [{ type: 'Exact', name: 'x-canary', value: 'yes' }],
      queryParams: [{ type: 'RegularExpression', name: 'v', value: '2.*' }],
      method: 'POST',
    });
    expect(rule?.filters).toEqual([
      {
        type: 'RequestHeaderModifier',
        modifier: { set: [{ name: 'x-a', value: '1' }], add: [], remove: ['x-b'] },
      },
      {
        type: 'URLRewrite',
        rewrite: { hostname: 'orders.example', path: { type: 'ReplaceFullPath', value: '/pay' } },
      },
    ]);
    expect(rule?.backends[0]?.weight).toBe(0);
    expect(rule?.timeouts).toEqual({ requestMs: 2000, backendRequestMs: 500 });
    const withRetry = parseGatewayResource(
      { ...httpRoute({ rules: [{ retry: { codes: [503], attempts: 2, backoff: '100ms' } } as never] }) },
      'HTTPRoute',
    );
    expect(withRetry.ok && (withRetry.value as MeshHttpRoute).rules[0]?.retry).toEqual({
      codes: [503],
      attempts: 2,
      backoffMs: 100,
    });
  });

  it('keeps a filter type it does not implement as Unsupported, and redirects default to 302', () => {
    const route = parsedHttp({
      rules: [
        { filters: [{ type: 'RequestMirror', requestMirror: { backendRef: { name: 'x', port: 80 } } }] },
        { filters: [{ type: 'RequestRedirect', requestRedirect: { port: 8083 } }] },
      ],
    });
    expect(route.rules[0]?.filters).toEqual([{ type: 'Unsupported', name: 'RequestMirror' }]);
    expect(route.rules[1]?.filters).toEqual([
      {
        type: 'RequestRedirect',
        redirect: { scheme: undefined, hostname: undefined, path: undefined, port: 8083, statusCode: 302 },
      },
    ]);
  });

  it('refuses what cannot be routed safely, with every path', () => {
    const errors = errorsOf(
      httpRoute({
        rules: [
          {
            matches: [
              { path: { type: 'RegularExpression', value: '(a)\\1' } },
              { path: { type: 'Exact', value: 'no-slash' }, headers: [{ name: 'bad name', value: 'x' }] },
            ],
            filters: [
              {
                type: 'RequestHeaderModifier',
                requestHeaderModifier: { set: [{ name: 'x-a', value: 'a\r\nb: c' }] },
              },
              { type: 'RequestRedirect', requestRedirect: { statusCode: 404 as 302 } },
            ],
            backendRefs: [{ name: 'x', port: 80, weight: -1 }],
            timeouts: { request: 'soon' },
          },
          beyondV1_0({ name: 'n' }),
          beyondV1_0({ name: 'n' }),
          {
            matches: [{ path: { type: 'Exact', value: '/a' } }],
            filters: [
              {
                type: 'URLRewrite',
                urlRewrite: { path: { type: 'ReplacePrefixMatch', replacePrefixMatch: '/b' } },
              },
            ],
          },
        ],
      }),
      'HTTPRoute',
    );
    expect(errors).toEqual([
      expect.stringMatching(
        /^spec\.rules\[0\]\.matches\[0\]\.path\.value: is not a regular expression RE2 accepts/,
      ),
      expect.stringMatching(/^spec\.rules\[0\]\.matches\[1\]\.path\.value: must be an absolute path/),
      expect.stringMatching(
        /^spec\.rules\[0\]\.matches\[1\]\.headers\[0\]\.name: must be an HTTP header name/,
      ),
      expect.stringMatching(
        /^spec\.rules\[0\]\.filters\[0\]\.requestHeaderModifier\.set\[0\]\.value: must be a header value/,
      ),
      expect.stringMatching(/^spec\.rules\[0\]\.filters\[1\]\.requestRedirect\.statusCode: must be 301/),
      expect.stringMatching(
        /^spec\.rules\[0\]\.backendRefs\[0\]\.weight: must be an integer from 0 to 1000000/,
      ),
      expect.stringMatching(/^spec\.rules\[0\]\.timeouts\.request: must be a duration/),
      expect.stringMatching(/^spec\.rules\[3\]\.matches: ReplacePrefixMatch needs every match/),
      'spec.rules[2].name: "n" is already the name of another rule',
    ]);
  });

  it('accepts v1beta1 in the same shape', () => {
    const result = parseGatewayResource(
      { ...httpRoute({}), apiVersion: 'gateway.networking.k8s.io/v1beta1' },
      'HTTPRoute',
    );
    expect(result.ok && result.value.meta.apiVersion).toBe('gateway.networking.k8s.io/v1beta1');
  });
});

describe('GRPCRoute', () => {
  const grpc = (
    matches: NonNullable<NonNullable<NonNullable<IGRPCRoute['spec']>['rules']>[number]['matches']>,
  ): IGRPCRoute => ({
    apiVersion: 'gateway.networking.k8s.io/v1alpha2',
    kind: 'GRPCRoute',
    metadata: meta,
    spec: { rules: [{ matches, backendRefs: [{ name: 'g', port: 50051 }] }] },
  });
  const paths = (raw: IGRPCRoute) => {
    const result = parseGatewayResource(raw, 'GRPCRoute');
    if (!result.ok) throw new Error(formatFieldErrors(result.errors));
    return (result.value as MeshHttpRoute).rules[0]?.matches.map((m) => m.path);
  };

  it('turns method matches into path matches', () => {
    expect(
      paths(
        grpc([
          { method: { service: 'shop.Orders', method: 'Get' } },
          { method: { service: 'shop.Orders' } },
          { method: { method: 'Get' } },
          { method: { type: 'RegularExpression', service: 'shop\\..*' } },
          { headers: [{ name: 'x-v', value: '2' }] },
        ]),
      ),
    ).toEqual([
      { type: 'Exact', value: '/shop.Orders/Get' },
      { type: 'PathPrefix', value: '/shop.Orders' },
      { type: 'RegularExpression', value: '/[^/]+/Get' },
      { type: 'RegularExpression', value: '/(?:shop\\..*)/(?:[^/]+)' },
      { type: 'PathPrefix', value: '/' },
    ]);
  });

  it('refuses a method match with neither service nor method, and names that are not gRPC names', () => {
    expect(errorsOf(grpc([{ method: {} }, { method: { service: 'a/b' } }]), 'GRPCRoute')).toEqual([
      'spec.rules[0].matches[0].method: must set service, method or both',
      'spec.rules[0].matches[1].method.service: must be a gRPC service name, got "a/b"',
    ]);
  });
});

describe('TCPRoute and ReferenceGrant', () => {
  it('reads TCPRoute backends with their weights', () => {
    const raw: ITCPRoute = {
      apiVersion: 'gateway.networking.k8s.io/v1alpha2',
      kind: 'TCPRoute',
      metadata: meta,
      spec: {
        parentRefs: [{ group: '', kind: 'Service', name: 'db', port: 5432 }],
        rules: [
          {
            backendRefs: [
              { name: 'db-a', port: 5432, weight: 9 },
              { name: 'db-b', port: 5432 },
            ],
          },
        ],
      },
    };
    const result = parseGatewayResource(raw, 'TCPRoute');
    expect(
      result.ok && (result.value as MeshTcpRoute).rules[0]?.backends.map((b) => [b.name, b.weight]),
    ).toEqual([
      ['db-a', 9],
      ['db-b', 1],
    ]);
  });

  it('permits a cross-namespace Service reference only with a matching grant', () => {
    const raw: IReferenceGrant = {
      apiVersion: 'gateway.networking.k8s.io/v1beta1',
      kind: 'ReferenceGrant',
      metadata: { name: 'g', namespace: 'backends' },
      spec: {
        from: [{ group: 'gateway.networking.k8s.io', kind: 'HTTPRoute', namespace: 'shop' }],
        to: [{ group: '', kind: 'Service', name: 'orders' }],
      },
    };
    const result = parseGatewayResource(raw, 'ReferenceGrant');
    if (!result.ok) throw new Error(formatFieldErrors(result.errors));
    const grants = [result.value as ReferenceGrant];
    expect(referencePermitted(grants, 'HTTPRoute', 'shop', 'backends', 'orders')).toBe(true);
    expect(referencePermitted(grants, 'HTTPRoute', 'shop', 'backends', 'payments')).toBe(false);
    expect(referencePermitted(grants, 'GRPCRoute', 'shop', 'backends', 'orders')).toBe(false);
    expect(referencePermitted(grants, 'HTTPRoute', 'web', 'backends', 'orders')).toBe(false);
    expect(referencePermitted([], 'HTTPRoute', 'shop', 'shop', 'orders')).toBe(true);
  });
});

describe('generated CRDs', () => {
  it('serve every kind in every version it accepts, with a status subresource on routes', () => {
    const crds = gatewayCustomResourceDefinitions();
    expect(
      crds.map((c) => [c.metadata.name, c.spec.versions.map((v) => `${v.name}${v.storage ? '*' : ''}`)]),
    ).toEqual([
      ['httproutes.gateway.networking.k8s.io', ['v1*', 'v1beta1']],
      ['grpcroutes.gateway.networking.k8s.io', ['v1*', 'v1alpha2']],
      ['tcproutes.gateway.networking.k8s.io', ['v1*', 'v1alpha2']],
      ['referencegrants.gateway.networking.k8s.io', ['v1beta1*', 'v1', 'v1alpha2']],
    ]);
    expect(crds[0]?.spec.versions[0]?.subresources).toEqual({ status: {} });
    expect(crds[3]?.spec.versions[0]?.subresources).toBeUndefined();
  });
});
