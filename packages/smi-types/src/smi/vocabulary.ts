/** The words SMI resources are made of, shared by the validators and the CRD schemas so they cannot drift. */

export const ACCESS_GROUP = 'access.smi-spec.io';
export const SPECS_GROUP = 'specs.smi-spec.io';
export const SPLIT_GROUP = 'split.smi-spec.io';

/** The route kinds a TrafficTarget rule or a TrafficSplit match may reference. */
export const ROUTE_KINDS = ['HTTPRouteGroup', 'TCPRoute', 'UDPRoute'] as const;
export type RouteKind = (typeof ROUTE_KINDS)[number];

/**
 * The route kinds a TrafficSplit match may reference: HTTPRouteGroup only, as the published SMI split CRD
 * allows. A TCPRoute or UDPRoute match would have nothing to narrow (a TCP/UDP split applies to the whole
 * port), so accepting one and dropping it would silently widen the split to all traffic.
 */
export const SPLIT_MATCH_KINDS = ['HTTPRouteGroup'] as const;
export type SplitMatchKind = (typeof SPLIT_MATCH_KINDS)[number];

/** HTTP methods an HTTPRouteGroup match may name (RFC 9110 plus PATCH), or `*` for any. */
export const HTTP_METHODS = [
  'GET',
  'HEAD',
  'POST',
  'PUT',
  'DELETE',
  'CONNECT',
  'OPTIONS',
  'TRACE',
  'PATCH',
] as const;
export const ANY_METHOD = '*';

export function isRouteKind(value: unknown): value is RouteKind {
  return typeof value === 'string' && (ROUTE_KINDS as readonly string[]).includes(value);
}

export function isSplitMatchKind(value: unknown): value is SplitMatchKind {
  return typeof value === 'string' && (SPLIT_MATCH_KINDS as readonly string[]).includes(value);
}
