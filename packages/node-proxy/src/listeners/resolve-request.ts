/** The routing steps an HTTP request goes through, shared by the HTTP/1.1 and HTTP/2 sides of an entrypoint. */
import type { IncomingHttpHeaders } from 'node:http';
import { chooseBackend } from '../balancer/choose-target.js';
import type { TrafficLabels } from '../metrics/proxy-metrics.js';
import { normaliseHost } from '../snapshot/host.js';
import type { Backend, Endpoint, Route } from '../snapshot/snapshot.js';
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
  readonly route: Route;
  readonly backend: Backend;
  readonly endpoint: Endpoint;
  readonly labels: TrafficLabels;
}

export interface UnroutableRequest {
  readonly error: ProxyError;
  /** Known once the route is: a 502 then counts for its destination. */
  readonly labels: TrafficLabels | undefined;
}

/**
 * Host → route → backend → endpoint on entrypoint `logicalPort`, reading the snapshot once. The endpoint
 * returned is counted as busy: the caller must `ctx.balancer.release` it when the request ends.
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
  const labels = {
    caller: request.clientIp === undefined ? undefined : ctx.callers.resolve(request.clientIp),
    destinationNamespace: route.service.namespace,
    destinationService: route.service.name,
  };
  const backend = chooseBackend(route, ctx.random, request);
  if (backend === undefined) {
    return { error: proxyErrors.noBackend(`${route.service.name}.${route.service.namespace}`), labels };
  }
  const endpoint = ctx.balancer.pick(backend.endpoints);
  if (endpoint === undefined) {
    return { error: proxyErrors.noEndpoint(`${backend.service.name}.${backend.service.namespace}`), labels };
  }
  return { route, backend, endpoint, labels };
}
