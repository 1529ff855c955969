/**
 * The Gateway API mesh routes (GAMMA) as Nodemesh reads them: HTTPRoute, GRPCRoute and TCPRoute whose
 * `parentRefs` name a Service, and the ReferenceGrants that permit cross-namespace backends. Every served
 * version normalises to this one model; defaults the API fills in (match type, weight, redirect status) are
 * filled in here too, so nothing downstream guesses. GRPCRoute rules become HTTP rules (a gRPC call is a POST
 * to `/<service>/<method>`), so the proxy has one rule table.
 */

export type MeshRouteKind = 'HTTPRoute' | 'GRPCRoute' | 'TCPRoute';

/** Where a route is from and when it was made (precedence: oldest first, then `namespace/name`). */
export interface GatewayObjectMeta {
  readonly namespace: string;
  readonly name: string;
  readonly apiVersion: string;
  readonly generation: number;
  /** Milliseconds since the epoch; 0 when the server gave none. */
  readonly createdAt: number;
  readonly resourceVersion?: string;
}

/**
 * One entry of `spec.parentRefs`, as written (status echoes it back). Only `kind: Service` in the core group
 * attaches a mesh route; other parents (a Gateway) belong to other controllers and are left alone.
 */
export interface ParentRef {
  readonly group: string;
  readonly kind: string;
  /** Resolved: the route's namespace when the ref omits it. */
  readonly namespace: string;
  /** Whether `namespace` was written in the ref (status echoes the ref as written). */
  readonly namespaceGiven: boolean;
  readonly name: string;
  readonly port: number | undefined;
  readonly sectionName: string | undefined;
}

/** Whether a parentRef attaches a route to a Service (the mesh's parents). */
export function isServiceParent(ref: ParentRef): boolean {
  return ref.group === '' && ref.kind === 'Service';
}

/** One entry of `backendRefs`. Only Services in the core group are backends Nodemesh can send to. */
export interface BackendRef {
  readonly group: string;
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
  readonly port: number | undefined;
  /** Default 1; 0 means "none of the traffic". */
  readonly weight: number;
  /** Filters applied only to requests sent to this backend (header modifiers; other types `Unsupported`). */
  readonly filters: readonly RouteFilter[];
}

export type StringMatchType = 'Exact' | 'RegularExpression';

export interface PathMatch {
  readonly type: 'Exact' | 'PathPrefix' | 'RegularExpression';
  readonly value: string;
}

/** A header or query parameter match; header names are lower-cased here (they are case-insensitive). */
export interface ValueMatch {
  readonly type: StringMatchType;
  readonly name: string;
  readonly value: string;
}

/** One `matches` entry: every part must hold. A match without a path has PathPrefix `/`. */
export interface RouteMatch {
  readonly path: PathMatch;
  readonly headers: readonly ValueMatch[];
  readonly queryParams: readonly ValueMatch[];
  /** Upper case; undefined: any method. */
  readonly method: string | undefined;
}

export interface HeaderModifier {
  /** Header names lower-cased. */
  readonly set: readonly { readonly name: string; readonly value: string }[];
  readonly add: readonly { readonly name: string; readonly value: string }[];
  readonly remove: readonly string[];
}

export type PathModifier =
  | { readonly type: 'ReplaceFullPath'; readonly value: string }
  | { readonly type: 'ReplacePrefixMatch'; readonly value: string };

export interface RequestRedirect {
  readonly scheme: 'http' | 'https' | undefined;
  readonly hostname: string | undefined;
  readonly path: PathModifier | undefined;
  readonly port: number | undefined;
  readonly statusCode: 301 | 302 | 303 | 307 | 308;
}

export interface UrlRewrite {
  readonly hostname: string | undefined;
  readonly path: PathModifier | undefined;
}

export type RouteFilter =
  | { readonly type: 'RequestHeaderModifier'; readonly modifier: HeaderModifier }
  | { readonly type: 'ResponseHeaderModifier'; readonly modifier: HeaderModifier }
  | { readonly type: 'RequestRedirect'; readonly redirect: RequestRedirect }
  | { readonly type: 'URLRewrite'; readonly rewrite: UrlRewrite }
  /** A filter type Nodemesh does not implement (RequestMirror, ExtensionRef, CORS, ...): the rule answers 500. */
  | { readonly type: 'Unsupported'; readonly name: string };

/** `retry` (experimental channel, GEP-1731). */
export interface RouteRetry {
  /** Response statuses that are retried; empty: only failed connections are. */
  readonly codes: readonly number[];
  /** Attempts after the first. */
  readonly attempts: number;
  /** Wait before each retry, in ms; 0: none. */
  readonly backoffMs: number;
}

export interface RouteTimeouts {
  /** The whole request, retries included. */
  readonly requestMs: number | undefined;
  /** Each try to a backend. */
  readonly backendRequestMs: number | undefined;
}

/** One HTTP rule (an HTTPRoute rule, or a GRPCRoute rule turned into HTTP terms). */
export interface HttpRouteRule {
  /** `name` of the rule, when given; else undefined. */
  readonly name: string | undefined;
  readonly matches: readonly RouteMatch[];
  readonly filters: readonly RouteFilter[];
  readonly backends: readonly BackendRef[];
  readonly timeouts: RouteTimeouts | undefined;
  readonly retry: RouteRetry | undefined;
}

export interface TcpRouteRule {
  readonly name: string | undefined;
  readonly backends: readonly BackendRef[];
}

interface RouteBase {
  readonly meta: GatewayObjectMeta;
  readonly parentRefs: readonly ParentRef[];
}

export interface MeshHttpRoute extends RouteBase {
  readonly kind: 'HTTPRoute' | 'GRPCRoute';
  readonly rules: readonly HttpRouteRule[];
}

export interface MeshTcpRoute extends RouteBase {
  readonly kind: 'TCPRoute';
  readonly rules: readonly TcpRouteRule[];
}

export type MeshRoute = MeshHttpRoute | MeshTcpRoute;

/** A ReferenceGrant, reduced to what decides a cross-namespace backendRef. */
export interface ReferenceGrant {
  readonly kind: 'ReferenceGrant';
  readonly meta: GatewayObjectMeta;
  /** Who may refer: a route kind in a namespace. */
  readonly from: readonly { readonly group: string; readonly kind: string; readonly namespace: string }[];
  /** To what, in the grant's namespace; `name` undefined means any of that kind. */
  readonly to: readonly {
    readonly group: string;
    readonly kind: string;
    readonly name: string | undefined;
  }[];
}

export type GatewayResource = MeshRoute | ReferenceGrant;
