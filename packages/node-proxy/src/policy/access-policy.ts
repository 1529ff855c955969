/**
 * The compiled access policy of a snapshot (SMI TrafficTargets) and its per-request check. Compiled once per
 * snapshot by `compileAccessPolicy`; a check is a few map lookups: destination ServiceAccount, then source
 * ServiceAccount, then the few grants between the two.
 */
import type { Caller } from '../metrics/caller-resolver.js';
import type { HttpMatchRule, MatchableRequest } from '../topology/http-match.js';
import { matchesAny } from '../topology/http-match.js';

/** Ports a TCPRoute or UDPRoute allows: any, or a set. */
export type PortSet = 'any' | ReadonlySet<number>;

/** What one TrafficTarget allows from one source to one destination ServiceAccount. */
export interface AccessGrant {
  /** `<namespace>/<name>` of the TrafficTarget, for traces and debugging. */
  readonly target: string;
  /** `destination.port`: the only Service port it may be called on; undefined: any. */
  readonly port: number | undefined;
  /** HTTPRouteGroup matches (OR); empty: no HTTP request is allowed. */
  readonly http: readonly HttpMatchRule[];
  /** TCPRoute / UDPRoute ports; undefined: none. */
  readonly tcp: PortSet | undefined;
  readonly udp: PortSet | undefined;
}

export interface AccessPolicy {
  /** The ServiceAccounts (`<ns>/<sa>`) each Service's pods run as, by Service key. */
  readonly serviceAccounts: ReadonlyMap<string, readonly string[]>;
  /** Destination ServiceAccount → source ServiceAccount (both `<ns>/<sa>`) → grants. */
  readonly grants: ReadonlyMap<string, ReadonlyMap<string, readonly AccessGrant[]>>;
}

export const EMPTY_ACCESS_POLICY: AccessPolicy = Object.freeze({
  serviceAccounts: new Map(),
  grants: new Map(),
});

export type AccessProtocol = 'http' | 'tcp' | 'udp';

/** Why a call was denied; also the `reason` label of `nodemesh_denied_total`. */
export type DenyReason = 'unknown_source' | 'no_traffic_target' | 'source_not_allowed' | 'no_matching_rule';

export type AccessDecision =
  | { readonly allowed: true; readonly target: string }
  | { readonly allowed: false; readonly reason: DenyReason };

export interface AccessQuery {
  /** The Service actually called: behind a TrafficSplit, the chosen backend. */
  readonly serviceKey: string;
  /** The user Service port the caller addressed. */
  readonly port: number;
  readonly protocol: AccessProtocol;
  readonly caller: Caller | undefined;
  /** HTTP only: what the HTTPRouteGroup matches look at. */
  readonly request?: MatchableRequest;
}

/** SMI semantics: nothing passes unless a TrafficTarget allows it. */
export function checkAccess(policy: AccessPolicy, query: AccessQuery): AccessDecision {
  if (query.caller === undefined) return { allowed: false, reason: 'unknown_source' };
  const source = sourceKey(query.caller);
  let reason: DenyReason = 'no_traffic_target';
  for (const destination of policy.serviceAccounts.get(query.serviceKey) ?? []) {
    const bySource = policy.grants.get(destination);
    if (bySource === undefined) continue;
    const grants = bySource.get(source);
    if (grants === undefined) {
      if (reason === 'no_traffic_target') reason = 'source_not_allowed';
      continue;
    }
    reason = 'no_matching_rule';
    for (const grant of grants) {
      if (grantAllows(grant, query)) return { allowed: true, target: grant.target };
    }
  }
  return { allowed: false, reason };
}

/** `<namespace>/<serviceAccount>` of each caller object met (they live as long as their pod): no key per check. */
const sourceKeys = new WeakMap<Caller, string>();

function sourceKey(caller: Caller): string {
  let key = sourceKeys.get(caller);
  if (key === undefined) {
    key = `${caller.namespace}/${caller.serviceAccount}`;
    sourceKeys.set(caller, key);
  }
  return key;
}

function grantAllows(grant: AccessGrant, query: AccessQuery): boolean {
  if (grant.port !== undefined && grant.port !== query.port) return false;
  switch (query.protocol) {
    case 'http':
      return query.request !== undefined && matchesAny(grant.http, query.request);
    case 'tcp':
      return portAllowed(grant.tcp, query.port);
    case 'udp':
      return portAllowed(grant.udp, query.port);
  }
}

/**
 * The layer-4 part of a grant, as the destination's node proxy checks it for a tunnel stream (it sees bytes,
 * not requests): the grant's Service port, and for HTTP that it has at least one HTTPRouteGroup rule (which
 * paths and methods is the caller's node's check), for TCP that its TCPRoutes admit the port.
 */
export function grantAdmitsConnection(grant: AccessGrant, port: number, protocol: 'http' | 'tcp'): boolean {
  if (grant.port !== undefined && grant.port !== port) return false;
  return protocol === 'http' ? grant.http.length > 0 : portAllowed(grant.tcp, port);
}

function portAllowed(ports: PortSet | undefined, port: number): boolean {
  return ports !== undefined && (ports === 'any' || ports.has(port));
}
