/**
 * The shadow-Service contract: what the dns-controller writes and the node-proxy reads. A shadow Service
 * lives in the mesh namespace, one per user Service, selects the node-proxy pods, and has
 * `internalTrafficPolicy: Local` so kube-proxy hands a caller's connection to the proxy on its own node.
 */
import type { TrafficType } from '../annotations/service-config.js';

/** The namespace the mesh runs in and keeps its shadow Services in. */
export const DEFAULT_MESH_NAMESPACE = 'nodemesh';

/** The DNS zone of mesh names: `<svc>.<ns>.mesh`. */
export const DEFAULT_MESH_DOMAIN = 'mesh';

/** Labels on every shadow Service. Two labels for the user Service, because `<ns>.<svc>` can pass 63 characters. */
export const LABEL_PART_OF = 'app.kubernetes.io/part-of';
export const LABEL_PART_OF_VALUE = 'nodemesh';
export const LABEL_MANAGED_BY = 'app.kubernetes.io/managed-by';
export const LABEL_MANAGED_BY_VALUE = 'nodemesh-dns-controller';
export const LABEL_SHADOW_OF_NAMESPACE = 'nodemesh.io/shadow-of-namespace';
export const LABEL_SHADOW_OF_NAME = 'nodemesh.io/shadow-of-name';

/** The label the node-proxy pods carry; shadow Services select on it. */
export const LABEL_COMPONENT = 'app.kubernetes.io/component';
export const NODE_PROXY_COMPONENT = 'node-proxy';

/** The first HTTP entrypoint: the i-th port of an HTTP Service maps to HTTP_ENTRYPOINT_BASE + i. */
export const HTTP_ENTRYPOINT_BASE = 5000;

/** A range of proxy ports, both ends included. */
export interface PortRange {
  readonly first: number;
  readonly last: number;
}

export const DEFAULT_TCP_PORT_RANGE: PortRange = { first: 10000, last: 14999 };
export const DEFAULT_UDP_PORT_RANGE: PortRange = { first: 15000, last: 19999 };

/** The user Service a shadow stands for. */
export interface ShadowOf {
  readonly namespace: string;
  readonly name: string;
}

/**
 * One port of a shadow Service. A caller connects to the shadow ClusterIP on `port` (the same number as the
 * user Service's port); kube-proxy delivers it to the node-proxy on `targetPort` (an HTTP entrypoint, or the
 * TCP/UDP port allocated to this Service port).
 */
export interface ShadowPort {
  /** The user Service port's name, or `p<port>` when it has none. */
  readonly name: string;
  readonly protocol: 'TCP' | 'UDP';
  readonly port: number;
  readonly targetPort: number;
  readonly trafficType: TrafficType;
}

/**
 * On a shadow Service: the ServiceAccounts the user Service's pods run as (every pod its selector matches in
 * its namespace, except Succeeded and Failed ones; an empty `serviceAccountName` counts as `default`),
 * sorted, de-duplicated and comma-separated. Empty when the selector matches no pod; absent when the Service
 * has no selector. The dns-controller keeps it current; the node-proxy reads it to match TrafficTarget
 * destinations, so it need not watch every pod of the cluster.
 */
export const SHADOW_ANNOTATION_SERVICE_ACCOUNTS = 'nodemesh.io/service-accounts';
