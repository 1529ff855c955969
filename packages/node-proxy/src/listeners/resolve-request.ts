/**
 * The routing and admission steps an HTTP request goes through, shared by the HTTP/1.1 and HTTP/2 sides of an
 * entrypoint: Host → route → split (backend) → access control (against the chosen backend) → rate limit
 * (of the addressed Service) → endpoint, composed in `resolveRequest`, each policy step a function of its own
 * that answers with the proxy's error or lets the request on. Reads the snapshot once.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { chooseBackend } from '../balancer/choose-target.js';
import type { Caller } from '../metrics/caller-resolver.js';
import type { TrafficLabels } from '../metrics/proxy-metrics.js';
import { checkAccess } from '../policy/access-policy.js';
import { decideMeshRule, type MeshPlan } from '../routing/decide-rule.js';
import { tablesFor } from '../routing/select-rule.js';
import { normaliseHost } from '../snapshot/host.js';
import type { Backend, Endpoint, Route, Snapshot } from '../snapshot/snapshot.js';
import { type ExchangePlan, exchangePlan } from './exchange-plan.js';
import { type ProxyError, proxyErrors } from './http-errors.js';
import type { RoutingContext } from './listener.js';

/** What a request needs to be routed. `host` is the Host header, or `:authority` over HTTP/2. */
export interface RoutableRequest {
  readonly host: string | undefined;
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  /** The caller's IP, IPv4-mapped form already unwrapped. */
  readonly clientIp: string | undefined;
}

export interface ResolvedRequest {
  readonly snapshot: Snapshot;
  readonly route: Route;
  readonly backend: Backend;
  readonly endpoint: Endpoint;
  readonly labels: TrafficLabels;
  /** The TrafficTarget that allowed the call; undefined when access control is off. */
  readonly allowedBy: string | undefined;
  /** The Gateway API rule the request took, with its rewritten URL; undefined when no route is attached. */
  readonly mesh?: MeshPlan;
  /** What the snapshot decided for this route and backend (exchange-plan.ts). */
  readonly plan: ExchangePlan;
}

export interface UnroutableRequest {
  readonly error: ProxyError;
  /** Known once the route is: a 502 then counts for its destination. */
  readonly labels: TrafficLabels | undefined;
}

/**
 * Resolves and admits a request on entrypoint `logicalPort`. The endpoint returned is counted as busy: the
 * caller must `ctx.balancer.release` it when the request ends.
 */
export function resolveRequest(
  ctx: RoutingContext,
  logicalPort: number,
  request: RoutableRequest,
): ResolvedRequest | UnroutableRequest {
  const snapshot = ctx.snapshot();
  const { host } = request;
  const route =
    host === undefined ? undefined : snapshot.http.get(logicalPort)?.hosts.get(normaliseHost(host));
  if (route === undefined) return { error: proxyErrors.unknownHost(host), labels: undefined };
  const caller: Caller | undefined =
    request.clientIp === undefined ? undefined : ctx.callers.resolve(request.clientIp);
  const labels = {
    caller,
    destinationNamespace: route.service.namespace,
    destinationService: route.service.name,
  };
  let backend: Backend | undefined;
  let mesh: MeshPlan | undefined;
  const tables = route.mesh === undefined ? undefined : tablesFor(route.mesh, caller?.namespace);
  if (tables?.http !== undefined) {
    // Gateway API routes attached to the Service: they decide, and a TrafficSplit does not apply.
    const decision = decideMeshRule(tables.http, request, host ?? '', ctx.random);
    const service = `${route.service.name}.${route.service.namespace}`;
    if (decision.kind === 'no-match') return { error: proxyErrors.noMatchingRule(service), labels };
    if (decision.kind === 'redirect')
      return { error: proxyErrors.redirect(decision.status, decision.location), labels };
    if (decision.kind === 'unusable') {
      const { kind, namespace, name } = decision.rule.route;
      const rule = `${kind} ${namespace}/${name} rule ${decision.rule.ruleName}`;
      return { error: proxyErrors.unusableRule(rule, decision.reason), labels };
    }
    backend = decision.backend;
    mesh = decision.plan;
  } else backend = chooseBackend(route, ctx.random, request);
  if (backend === undefined) {
    return { error: proxyErrors.noBackend(`${route.service.name}.${route.service.namespace}`), labels };
  }
  const plan = exchangePlan(ctx, snapshot, route, backend, mesh);
  const allowedBy = admitByAccessPolicy(ctx, snapshot, route, plan, request, labels);
  if (typeof allowedBy === 'object') return { error: allowedBy, labels };
  const limited = admitByRateLimit(ctx, plan, labels);
  if (limited !== undefined) return { error: limited, labels };
  const endpoint = ctx.balancer.pick(backend.endpoints);
  if (endpoint === undefined) {
    return { error: proxyErrors.noEndpoint(`${backend.service.name}.${backend.service.namespace}`), labels };
  }
  return mesh === undefined
    ? { snapshot, route, backend, endpoint, labels, allowedBy, plan }
    : { snapshot, route, backend, endpoint, labels, allowedBy, mesh, plan };
}

/**
 * Access control (SMI TrafficTargets), against the backend chosen: the name of the TrafficTarget that allowed
 * the call, or the 403 to answer; undefined when access control is off (nothing checked, nothing allocated).
 */
function admitByAccessPolicy(
  ctx: RoutingContext,
  snapshot: Snapshot,
  route: Route,
  plan: ExchangePlan,
  request: RoutableRequest,
  labels: TrafficLabels,
): string | ProxyError | undefined {
  if (!ctx.policy.accessControl) return undefined;
  const decision = checkAccess(snapshot.access, {
    serviceKey: plan.backendKey,
    port: route.port,
    protocol: 'http',
    caller: labels.caller,
    request,
  });
  if (decision.allowed) return decision.target;
  ctx.metrics.denied(labels, 'http', decision.reason);
  return proxyErrors.accessDenied(plan.backendName, decision.reason);
}

/** The rate limit of the addressed Service: the 429 to answer when its bucket is empty, else undefined. */
function admitByRateLimit(
  ctx: RoutingContext,
  plan: ExchangePlan,
  labels: TrafficLabels,
): ProxyError | undefined {
  const taken = plan.rateLimiter?.take();
  if (taken === undefined || taken.ok) return undefined;
  ctx.metrics.rateLimited(labels);
  return proxyErrors.rateLimited(plan.routeName, taken.retryAfterMs);
}
