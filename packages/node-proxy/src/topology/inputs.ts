/**
 * The plain, already validated inputs of the topology builder. The informer wiring (later) fills these from
 * the API server; tests write them by hand. They are small on purpose: `from-kubernetes.ts` maps the parsed
 * types of `@nodemesh/smi-types` (`UserService`, `ServiceMeshConfig`, `ParsedShadow`) onto them, and
 * `endpoint-slice.ts` reads EndpointSlices.
 *
 * The builder memoises by object identity: give it the same object for an unchanged Service (or endpoint
 * list, split, route group) and it reuses what it built before.
 */
import type {
  HTTPRouteGroup,
  MeshRoute,
  MtlsMode,
  ReferenceGrant,
  ServiceMeshConfig,
  ShadowPort,
  TCPRoute,
  TrafficSplit,
  TrafficTarget,
  UDPRoute,
} from '@nodemesh/smi-types';

/**
 * How the mesh treats a Service: its parsed `nodemesh.io/*` annotations. Routing reads `trafficType` and
 * `scheme`; the rest (retry, timeout, breaker, rate limit) travels in the snapshot for the policy chain.
 */
export type MeshServiceConfig = ServiceMeshConfig;

/** One port of a user Service, as the Service declares it. */
export interface ServicePortInput {
  /** The port's name; empty when the Service has a single unnamed port (as EndpointSlices name it). */
  readonly name: string;
  readonly port: number;
  readonly protocol: 'TCP' | 'UDP';
}

/** The shadow Service of a mesh Service: where callers reach it and on which proxy ports. */
export interface ShadowInput {
  readonly clusterIPs: readonly string[];
  readonly ports: readonly ShadowPort[];
}

/**
 * A user Service. One with a shadow is addressable through the mesh; one without can still be a
 * TrafficSplit backend.
 */
export interface MeshServiceInput {
  readonly namespace: string;
  readonly name: string;
  readonly config: MeshServiceConfig;
  readonly ports: readonly ServicePortInput[];
  readonly shadow?: ShadowInput;
  /**
   * The ServiceAccounts the Service's pods run as, for access control (a TrafficTarget names a destination
   * ServiceAccount). The dns-controller writes them on the shadow Service
   * (`SHADOW_ANNOTATION_SERVICE_ACCOUNTS`), so no node-proxy has to watch every pod of the cluster.
   */
  readonly serviceAccounts?: readonly string[];
  /**
   * How calls to its pods on other nodes travel: the shadow's `nodemesh.io/mtls-mode`, else the proxy's
   * `--mtls-mode` (the input assembler resolves it). Absent: `DEFAULT_MTLS_MODE`.
   */
  readonly mtlsMode?: MtlsMode;
}

/** One endpoint of a Service, merged from its EndpointSlices. */
export interface EndpointInput {
  readonly address: string;
  /** The port number of each Service port name, as the EndpointSlice resolved it (`''` for unnamed). */
  readonly ports: Readonly<Record<string, number>>;
  readonly ready: boolean;
  readonly serving: boolean;
  readonly terminating: boolean;
  readonly nodeName?: string;
}

/** Everything the routing snapshot is built from. Map keys are `<namespace>/<name>`. */
export interface TopologyInputs {
  readonly meshDomain: string;
  readonly services: ReadonlyMap<string, MeshServiceInput>;
  /** Endpoints per Service key; a Service missing here has no endpoints. */
  readonly endpoints: ReadonlyMap<string, readonly EndpointInput[]>;
  readonly trafficSplits: readonly TrafficSplit[];
  /** HTTPRouteGroups by key, for the `matches` of TrafficSplits. */
  readonly httpRouteGroups: ReadonlyMap<string, HTTPRouteGroup>;
  /** Access control: every TrafficTarget of the cluster (policy chain). */
  readonly trafficTargets?: readonly TrafficTarget[];
  /** TCPRoutes and UDPRoutes by key, for the rules of TrafficTargets. */
  readonly tcpRoutes?: ReadonlyMap<string, TCPRoute>;
  readonly udpRoutes?: ReadonlyMap<string, UDPRoute>;
  /** Gateway API mesh routes (HTTPRoute, GRPCRoute, TCPRoute) of the cluster; they win over TrafficSplits. */
  readonly meshRoutes?: readonly MeshRoute[];
  /** ReferenceGrants, for mesh routes' cross-namespace backends. */
  readonly referenceGrants?: readonly ReferenceGrant[];
}

/** The map key of a namespaced object. */
export function objectKey(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}
