/**
 * Whether a long-lived connection admitted under one snapshot is still admitted under a newer one (pure): a
 * WebSocket tunnel, a TCP connection or a UDP session ends when its route is gone (or no longer leads to its
 * backend Service), when its endpoint has left that backend's ready endpoints, or when access control no
 * longer allows its caller (the same check as at admission, with the same request for a tunnel). Weights
 * and rate limits are for new traffic: a changed split weight or bucket leaves open connections alone.
 */
import type { Caller } from '../metrics/caller-resolver.js';
import { checkAccess } from '../policy/access-policy.js';
import { tablesFor } from '../routing/select-rule.js';
import { normaliseHost } from '../snapshot/host.js';
import type { RuleBackend } from '../snapshot/mesh-routing.js';
import type { Backend, Route, ServiceRef, Snapshot } from '../snapshot/snapshot.js';
import type { MatchableRequest } from '../topology/http-match.js';
import { objectKey } from '../topology/inputs.js';

export type RevokeReason = 'route_gone' | 'endpoint_gone' | 'access_denied';

/** What a connection was admitted with. */
export interface Admission {
  readonly protocol: 'websocket' | 'tcp' | 'udp';
  /** The listener's snapshot port (HTTP entrypoint, TCP or UDP port). */
  readonly listenerPort: number;
  /** WebSocket only: the Host it was routed by (as sent) and the request access control looked at. */
  readonly host?: string;
  readonly request?: MatchableRequest;
  readonly backend: ServiceRef;
  readonly endpointKey: string;
  readonly caller: Caller | undefined;
  /** The route and access policy it was last checked against; a snapshot that kept both needs no check. */
  readonly route: Route;
  readonly access: Snapshot['access'];
}

export type Readmission =
  | { readonly admitted: true; readonly route: Route; readonly access: Snapshot['access'] }
  | { readonly admitted: false; readonly reason: RevokeReason };

/** Checks `admission` against `snapshot`; when still admitted, with the route and policy to remember. */
export function readmit(snapshot: Snapshot, accessControl: boolean, admission: Admission): Readmission {
  const route = currentRoute(snapshot, admission);
  if (route === undefined || !sameService(route.service, admission.route.service)) {
    return { admitted: false, reason: 'route_gone' };
  }
  if (route !== admission.route) {
    // Routes are immutable: a route object that did not change still has the same backends and endpoints.
    const backend = backendOf(route, admission);
    if (backend === undefined) return { admitted: false, reason: 'route_gone' };
    if (!backend.endpoints.some((e) => e.key === admission.endpointKey)) {
      return { admitted: false, reason: 'endpoint_gone' };
    }
  }
  if (accessControl && (snapshot.access !== admission.access || route !== admission.route)) {
    const decision = checkAccess(snapshot.access, {
      serviceKey: objectKey(admission.backend.namespace, admission.backend.name),
      port: route.port,
      protocol: admission.protocol === 'websocket' ? 'http' : admission.protocol,
      caller: admission.caller,
      ...(admission.request === undefined ? {} : { request: admission.request }),
    });
    if (!decision.allowed) return { admitted: false, reason: 'access_denied' };
  }
  return { admitted: true, route, access: snapshot.access };
}

function currentRoute(snapshot: Snapshot, admission: Admission): Route | undefined {
  if (admission.protocol === 'tcp') return snapshot.tcp.get(admission.listenerPort);
  if (admission.protocol === 'udp') return snapshot.udp.get(admission.listenerPort);
  const host = admission.host;
  return host === undefined
    ? undefined
    : snapshot.http.get(admission.listenerPort)?.hosts.get(normaliseHost(host));
}

/**
 * The route's backend for the connection's Service, where the route could still send this caller: a backend of
 * the caller's Gateway API rule table when one applies (the TCPRoute's rule; for a tunnel, any HTTP rule's),
 * else its root or one of its split's backends.
 */
function backendOf(route: Route, admission: Admission): Backend | undefined {
  const service = admission.backend;
  const tables = route.mesh === undefined ? undefined : tablesFor(route.mesh, admission.caller?.namespace);
  if (admission.protocol === 'tcp' && tables?.tcp !== undefined) {
    return ruleBackend(tables.tcp.rule.backends, service);
  }
  if (admission.protocol === 'websocket' && tables?.http !== undefined) {
    for (const match of tables.http.matches) {
      const backend = ruleBackend(match.rule.backends, service);
      if (backend !== undefined) return backend;
    }
    return undefined;
  }
  if (sameService(route.root.service, service)) return route.root;
  return route.split?.backends.find((b) => sameService(b.service, service));
}

function ruleBackend(backends: readonly RuleBackend[], service: ServiceRef): Backend | undefined {
  return backends.find((b) => b.backend !== undefined && sameService(b.backend.service, service))?.backend;
}

function sameService(a: ServiceRef, b: ServiceRef): boolean {
  return a.namespace === b.namespace && a.name === b.name;
}
