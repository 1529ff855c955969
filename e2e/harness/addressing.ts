/**
 * The address plan of a harness cluster. Private ranges are fine here: they exist only on interfaces inside
 * the run's own namespaces, which have no link to the machine's network.
 *
 *   node network  10.250.0.0/24   control plane .10, nodes .11, .12, … (on the hub's bridge)
 *   pod networks  10.251.<n>.0/24 for the n-th node (1-based); .1 is the node's gateway, pods from .2
 *   services      10.96.0.0/16    virtual ClusterIPs, only ever DNAT'd by the nodes' rules
 */

export const NODE_NETWORK_PREFIX = 24;
/**
 * The service range. Each node routes it to a sink (a veth whose peer is down), so the node's own
 * connections to a ClusterIP find a route before OUTPUT's DNAT, and packets no rule matched are dropped.
 */
export const SERVICE_CIDR = '10.96.0.0/16';
export const CONTROL_PLANE_ADDRESS = '10.250.0.10';
export const MAX_NODES = 200;
export const MAX_PODS_PER_NODE = 250;

/** The node network address of the n-th node (1-based). */
export function nodeAddress(nodeIndex: number): string {
  checkRange('node index', nodeIndex, 1, MAX_NODES);
  return `10.250.0.${10 + nodeIndex}`;
}

/** The pod CIDR of the n-th node (1-based). */
export function podCidr(nodeIndex: number): string {
  checkRange('node index', nodeIndex, 1, MAX_NODES);
  return `10.251.${nodeIndex}.0/24`;
}

/** The address a node answers on towards its pods (each pod's default gateway). */
export function podGateway(nodeIndex: number): string {
  checkRange('node index', nodeIndex, 1, MAX_NODES);
  return `10.251.${nodeIndex}.1`;
}

/** The address of the m-th pod (1-based) on the n-th node. */
export function podAddress(nodeIndex: number, podIndex: number): string {
  checkRange('node index', nodeIndex, 1, MAX_NODES);
  checkRange('pod index', podIndex, 1, MAX_PODS_PER_NODE);
  return `10.251.${nodeIndex}.${podIndex + 1}`;
}

/** The m-th ClusterIP (1-based) of the service range. */
export function clusterAddress(index: number): string {
  checkRange('service index', index, 1, 65_000);
  return `10.96.${Math.floor(index / 256)}.${index % 256}`;
}

function checkRange(what: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`${what} must be an integer from ${min} to ${max}, got ${value}`);
  }
}
