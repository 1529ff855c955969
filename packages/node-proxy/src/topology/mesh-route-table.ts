/**
 * Gateway API mesh routes → the rule tables of one Service port (pure). Routes attach by a parentRef naming
 * the Service (and, when it gives one, the port); HTTPRoute and GRPCRoute attach to HTTP ports, TCPRoute to
 * TCP ports. A route in the Service's namespace (producer) serves every caller; one in another namespace
 * (consumer) serves the callers of its namespace only, instead of the producer's. Within a table the
 * matches are sorted once here, most specific first (the spec's precedence; ties: the older route, then
 * `namespace/name`, then rule and match order), so a request takes the first that holds.
 */
import {
  backendRefProblem,
  compareRouteAge,
  type HttpRouteRule,
  isConsumerRoute,
  type MeshRoute,
  type ParentRef,
  type RouteMatch,
  routeTrafficType,
  type ShadowPort,
  serviceParents,
  type ValueMatch,
} from '@nodemesh/smi-types';
import { RE2JS } from 're2js';
import type {
  CompiledMatch,
  CompiledPathMatch,
  CompiledRule,
  CompiledValueMatch,
  HttpRuleTable,
  MeshRouting,
  RuleBackend,
  RuleTables,
} from '../snapshot/mesh-routing.js';
import type { Backend } from '../snapshot/snapshot.js';
import { type EndpointInput, type MeshServiceInput, objectKey, type TopologyInputs } from './inputs.js';

/** Resolves a Service as a backend for one port (service-routes.ts). */
export type BackendResolver = (
  service: MeshServiceInput,
  port: { readonly port: number; readonly protocol: 'TCP' | 'UDP' },
  endpoints: readonly EndpointInput[],
  weight: number,
) => Backend | undefined;

/** The routes with a Service parentRef, by the key of each Service they name; oldest first. */
export function meshRoutesByParent(routes: readonly MeshRoute[]): Map<string, MeshRoute[]> {
  const byParent = new Map<string, MeshRoute[]>();
  for (const route of routes) {
    const keys = new Set(serviceParents(route).map((p) => objectKey(p.namespace, p.name)));
    for (const key of keys) {
      const list = byParent.get(key);
      if (list === undefined) byParent.set(key, [route]);
      else list.push(route);
    }
  }
  for (const list of byParent.values()) list.sort(compareRouteAge);
  return byParent;
}

/** The objects a Service's mesh routing reads, for the builder's memo. */
export function meshRouteDependencies(
  routes: readonly MeshRoute[] | undefined,
  inputs: TopologyInputs,
): unknown[] {
  if (routes === undefined) return [];
  const deps: unknown[] = [inputs.referenceGrants];
  for (const route of routes) {
    deps.push(route);
    const rules: readonly { readonly backends: HttpRouteRule['backends'] }[] = route.rules;
    for (const rule of rules) {
      for (const ref of rule.backends) {
        const key = objectKey(ref.namespace, ref.name);
        deps.push(inputs.services.get(key), inputs.endpoints.get(key));
      }
    }
  }
  return deps;
}

/** The parentRefs of `route` that attach it to this Service port. */
function attachesTo(route: MeshRoute, service: MeshServiceInput, port: ShadowPort): ParentRef | undefined {
  if (routeTrafficType(route) !== port.trafficType) return undefined;
  return serviceParents(route).find(
    (p) =>
      p.namespace === service.namespace &&
      p.name === service.name &&
      (p.port === undefined || p.port === port.port),
  );
}

/** Compiles the routes attached to one port; undefined when none attaches. */
export function compileMeshRouting(
  service: MeshServiceInput,
  port: ShadowPort,
  routes: readonly MeshRoute[] | undefined,
  inputs: TopologyInputs,
  resolve: BackendResolver,
): MeshRouting | undefined {
  if (routes === undefined) return undefined;
  const producer: MeshRoute[] = [];
  const consumers = new Map<string, MeshRoute[]>();
  for (const route of routes) {
    const parent = attachesTo(route, service, port);
    if (parent === undefined) continue;
    if (!isConsumerRoute(route, parent)) producer.push(route);
    else {
      const list = consumers.get(route.meta.namespace) ?? [];
      list.push(route);
      consumers.set(route.meta.namespace, list);
    }
  }
  if (producer.length === 0 && consumers.size === 0) return undefined;
  const compile = (group: readonly MeshRoute[]) => compileTables(group, port, inputs, resolve);
  return {
    producer: producer.length === 0 ? undefined : compile(producer),
    consumers: new Map([...consumers].map(([namespace, group]) => [namespace, compile(group)])),
  };
}

function compileTables(
  routes: readonly MeshRoute[],
  port: ShadowPort,
  inputs: TopologyInputs,
  resolve: BackendResolver,
): RuleTables {
  if (port.trafficType === 'tcp') {
    // Several TCPRoutes on one port: the oldest wins; its rules' backends are one weighted set.
    const oldest = routes.find((r) => r.kind === 'TCPRoute');
    if (oldest === undefined || oldest.kind !== 'TCPRoute') return { http: undefined, tcp: undefined };
    const backends = oldest.rules.flatMap((rule) => rule.backends);
    const rule = compileRule(
      oldest,
      0,
      undefined,
      { backends, filters: [], timeouts: undefined, retry: undefined },
      port,
      inputs,
      resolve,
    );
    return { http: undefined, tcp: { rule } };
  }
  const matches: { match: CompiledMatch; source: RouteMatch }[] = [];
  for (const route of routes) {
    if (route.kind === 'TCPRoute') continue;
    route.rules.forEach((rule, i) => {
      const compiled = compileRule(route, i, rule.name, rule, port, inputs, resolve);
      for (const source of rule.matches) matches.push({ match: compileMatch(source, compiled), source });
    });
  }
  // Array.prototype.sort is stable: equal keys keep route age, rule and match order.
  matches.sort((a, b) => comparePrecedence(a.source, b.source));
  const table: HttpRuleTable = {
    matches: matches.map((m) => m.match),
    readsQuery: matches.some((m) => m.match.queryParams.length > 0),
  };
  return { http: table, tcp: undefined };
}

/** Negative when `a` is more specific than `b` (HTTPRoute precedence; RegularExpression ranks between Exact and PathPrefix). */
export function comparePrecedence(a: RouteMatch, b: RouteMatch): number {
  const rank = (m: RouteMatch) => (m.path.type === 'Exact' ? 3 : m.path.type === 'RegularExpression' ? 2 : 1);
  return (
    rank(b) - rank(a) ||
    (a.path.type === 'RegularExpression' ? 0 : b.path.value.length - a.path.value.length) ||
    Number(b.method !== undefined) - Number(a.method !== undefined) ||
    b.headers.length - a.headers.length ||
    b.queryParams.length - a.queryParams.length
  );
}

function compileRule(
  route: MeshRoute,
  index: number,
  name: string | undefined,
  rule: Pick<HttpRouteRule, 'backends' | 'filters' | 'timeouts' | 'retry'>,
  port: ShadowPort,
  inputs: TopologyInputs,
  resolve: BackendResolver,
): CompiledRule {
  const grants = inputs.referenceGrants ?? [];
  const hasPort = (namespace: string, svc: string, number: number | undefined) =>
    inputs.services
      .get(objectKey(namespace, svc))
      ?.ports.some((p) => p.port === (number ?? port.port) && p.protocol === port.protocol) ?? false;
  const backends: RuleBackend[] = rule.backends.map((ref) => {
    const problem = backendRefProblem(route, ref, grants, hasPort);
    const key = objectKey(ref.namespace, ref.name);
    const service = problem === undefined ? inputs.services.get(key) : undefined;
    const backend =
      service === undefined
        ? undefined
        : resolve(
            service,
            { port: ref.port ?? port.port, protocol: port.protocol },
            inputs.endpoints.get(key) ?? [],
            ref.weight,
          );
    const request = ref.filters.find((f) => f.type === 'RequestHeaderModifier');
    const response = ref.filters.find((f) => f.type === 'ResponseHeaderModifier');
    return {
      weight: ref.weight,
      backend,
      problem: backend === undefined ? (problem ?? 'BackendNotFound') : undefined,
      requestHeaders: request?.type === 'RequestHeaderModifier' ? request.modifier : undefined,
      responseHeaders: response?.type === 'ResponseHeaderModifier' ? response.modifier : undefined,
    };
  });
  const filter = <T extends string>(type: T) => rule.filters.find((f) => f.type === type);
  const requestHeaders = filter('RequestHeaderModifier');
  const responseHeaders = filter('ResponseHeaderModifier');
  const redirect = filter('RequestRedirect');
  const rewrite = filter('URLRewrite');
  const unsupported =
    rule.filters.find((f) => f.type === 'Unsupported')?.name ?? unsupportedBackendFilter(rule.backends);
  return {
    route: { kind: route.kind, namespace: route.meta.namespace, name: route.meta.name },
    ruleName: name ?? `rule-${index}`,
    backends,
    totalWeight: backends.reduce((sum, b) => sum + b.weight, 0),
    requestHeaders: requestHeaders?.type === 'RequestHeaderModifier' ? requestHeaders.modifier : undefined,
    responseHeaders:
      responseHeaders?.type === 'ResponseHeaderModifier' ? responseHeaders.modifier : undefined,
    redirect: redirect?.type === 'RequestRedirect' ? redirect.redirect : undefined,
    rewrite: rewrite?.type === 'URLRewrite' ? rewrite.rewrite : undefined,
    unsupported,
    requestTimeoutMs: rule.timeouts?.requestMs,
    backendTimeoutMs: rule.timeouts?.backendRequestMs,
    retry:
      rule.retry === undefined
        ? undefined
        : {
            attempts: rule.retry.attempts,
            codes: new Set(rule.retry.codes),
            backoffMs: rule.retry.backoffMs,
          },
  };
}

function unsupportedBackendFilter(refs: HttpRouteRule['backends']): string | undefined {
  for (const ref of refs) {
    const filter = ref.filters.find((f) => f.type === 'Unsupported');
    if (filter?.type === 'Unsupported') return `backendRefs filter ${filter.name}`;
  }
  return undefined;
}

function compileMatch(match: RouteMatch, rule: CompiledRule): CompiledMatch {
  return {
    path: compilePath(match.path),
    method: match.method,
    headers: match.headers.map(compileValueMatch),
    queryParams: match.queryParams.map(compileValueMatch),
    rule,
  };
}

function compilePath(path: RouteMatch['path']): CompiledPathMatch {
  if (path.type === 'Exact') return { type: 'Exact', value: path.value };
  if (path.type === 'RegularExpression')
    return { type: 'RegularExpression', pattern: RE2JS.compile(path.value) };
  // "/foo/" and "/foo" are the same prefix: it matches "/foo" and "/foo/…", never "/foobar".
  const value = path.value.replace(/\/+$/, '');
  return { type: 'PathPrefix', value, withSlash: `${value}/` };
}

function compileValueMatch(match: ValueMatch): CompiledValueMatch {
  return match.type === 'Exact'
    ? { name: match.name, exact: match.value, pattern: undefined }
    : { name: match.name, exact: undefined, pattern: RE2JS.compile(match.value) };
}
