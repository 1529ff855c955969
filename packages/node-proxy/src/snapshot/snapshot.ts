/**
 * The routing snapshot: everything a listener needs to route one request or connection, immutable. A new one
 * replaces the old by one assignment; a request reads it once, so it never sees half an update.
 */
import type { HttpScheme, MtlsMode, TrafficType } from '@nodemesh/smi-types';
import { type AccessPolicy, EMPTY_ACCESS_POLICY } from '../policy/access-policy.js';
import type { HttpMatchRule } from '../topology/http-match.js';
import type { MeshServiceConfig } from '../topology/inputs.js';
import type { MeshRouting } from './mesh-routing.js';

/** A Service by namespace and name. */
export interface ServiceRef {
  readonly namespace: string;
  readonly name: string;
}

/** A ready pod address and the port the Service port resolves to on it. */
export interface Endpoint {
  readonly address: string;
  readonly port: number;
  /** `address:port` (IPv6 in brackets): the key of its connection pool and its load counter. */
  readonly key: string;
  /** The node the pod runs on (EndpointSlice `endpoints[].nodeName`), when the slice names it. */
  readonly nodeName?: string;
}

/** One Service a route can send to, with its share of the traffic and its ready endpoints. */
export interface Backend {
  readonly service: ServiceRef;
  readonly weight: number;
  readonly scheme: HttpScheme;
  /**
   * How calls to its pods on other nodes travel (docs/mtls.md): the mode the dns-controller resolved on its
   * shadow (`nodemesh.io/mtls-mode`), else the proxy's `--mtls-mode`.
   */
  readonly mtlsMode: MtlsMode;
  readonly endpoints: readonly Endpoint[];
}

/** The TrafficSplit of a route: weighted backends, and which HTTP requests it applies to. */
export interface SplitRoute {
  readonly name: string;
  readonly backends: readonly Backend[];
  /** Sum of the backends' weights; 0 means the split sends nothing anywhere (502). */
  readonly totalWeight: number;
  /** Undefined: every request. Otherwise a request matching none of these goes to the root Service. */
  readonly matches: readonly HttpMatchRule[] | undefined;
}

/** Where traffic for one port of one mesh Service goes. */
export interface Route {
  readonly service: ServiceRef;
  readonly trafficType: TrafficType;
  /** The user Service port callers use, and its name. */
  readonly port: number;
  readonly portName: string;
  /** The proxy listener port this route is served on (HTTP entrypoint or TCP/UDP port). */
  readonly listenerPort: number;
  /** The root Service itself: the target when there is no split or the request does not match it. */
  readonly root: Backend;
  readonly split: SplitRoute | undefined;
  /** Gateway API routes attached to this port (they win over `split`); undefined when none. */
  readonly mesh: MeshRouting | undefined;
}

/** An HTTP entrypoint: its routes by normalised Host (lower case, no trailing dot). */
export interface HttpEntrypoint {
  readonly port: number;
  readonly hosts: ReadonlyMap<string, Route>;
}

/** The kinds of object a problem can be about: the Event goes on that object. */
export type ProblemKind =
  | 'Service'
  | 'TrafficSplit'
  | 'TrafficTarget'
  | 'HTTPRouteGroup'
  | 'TCPRoute'
  | 'UDPRoute';

/** Something in the inputs the snapshot could not honour, for the caller to log and turn into an Event. */
export interface Problem {
  /** The object the problem is about (never a stand-in: a TrafficTarget's problem names the TrafficTarget). */
  readonly kind: ProblemKind;
  readonly namespace: string;
  readonly name: string;
  /** The object's uid when known, so the Event shows in `kubectl describe` of that object. */
  readonly uid?: string;
  readonly reason: string;
  readonly message: string;
}

export interface Snapshot {
  /** Increases by one with every build; 0 is the empty snapshot before any input. */
  readonly version: number;
  /** Build time, milliseconds since the epoch. */
  readonly builtAt: number;
  readonly meshDomain: string;
  readonly http: ReadonlyMap<number, HttpEntrypoint>;
  readonly tcp: ReadonlyMap<number, Route>;
  readonly udp: ReadonlyMap<number, Route>;
  /** The mesh config of every known Service, by `<namespace>/<name>` (the policy chain reads it per request). */
  readonly services: ReadonlyMap<string, MeshServiceConfig>;
  /** TrafficTargets compiled for lookup; enforced only when the proxy runs with access control on. */
  readonly access: AccessPolicy;
  readonly problems: readonly Problem[];
}

/** The snapshot before any input: routes nothing. */
export const EMPTY_SNAPSHOT: Snapshot = Object.freeze({
  version: 0,
  builtAt: 0,
  meshDomain: 'mesh',
  http: new Map(),
  tcp: new Map(),
  udp: new Map(),
  services: new Map(),
  access: EMPTY_ACCESS_POLICY,
  problems: [],
});

/** The key of an endpoint address and port, as a URL authority would write it. */
export function endpointKey(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}
