/**
 * Where local mode puts everything. Linux routes all of 127.0.0.0/8 to loopback, so the "cluster" gets its own
 * 127.x blocks: ClusterIPs from 127.10.0.0/16, pod IPs from 127.20.0.0/16, and two nodes, `local` at
 * 127.30.0.1 and `local-b` at 127.30.0.2, where their node-proxies listen (HTTP entrypoints 5000+, TCP and UDP
 * allocations, the mTLS tunnel on 15008). bookstore-v2 runs on `local-b`, every other pod on `local`.
 */
export interface LocalSettings {
  readonly apiPort: number;
  readonly serviceCidr: string;
  /** The first node: the callers and most sample pods run here, and shadow ClusterIPs lead to its proxy. */
  readonly nodeName: string;
  /** The node's address: the node-proxy's listeners bind here. */
  readonly nodeIP: string;
  /** The second node: bookstore-v2 runs here, so bookbuyer reaches it through the mTLS tunnel. */
  readonly secondNodeName: string;
  /** The second node's address: its node-proxy's listeners, tunnel and admin server bind here. */
  readonly secondNodeIP: string;
  /** The first three parts of the sample pods' addresses, e.g. `127.20.0` for 127.20.0.11 and so on. */
  readonly podPrefix: string;
  readonly dnsHost: string;
  readonly dnsPort: number;
  readonly dnsAdminPort: number;
  /** The first node-proxy's /metrics and /readyz, on 127.0.0.1. */
  readonly proxyAdminPort: number;
  /** The node-proxy's `/debug/*` listener, on 127.0.0.1. */
  readonly proxyDebugPort: number;
  /** The second node-proxy's /metrics and /readyz, on the second node's address (mesh-objects.ts says why). */
  readonly secondProxyAdminPort: number;
  /** The identity issuer's port (HTTPS, on 127.0.0.1). */
  readonly identityPort: number;
  readonly accessControl: boolean;
}

export const DEFAULT_LOCAL_SETTINGS: LocalSettings = {
  apiPort: 16443,
  serviceCidr: '127.10.0.0/16',
  nodeName: 'local',
  nodeIP: '127.30.0.1',
  secondNodeName: 'local-b',
  secondNodeIP: '127.30.0.2',
  podPrefix: '127.20.0',
  dnsHost: '127.0.0.1',
  dnsPort: 15353,
  dnsAdminPort: 19090,
  proxyAdminPort: 19091,
  proxyDebugPort: 19092,
  secondProxyAdminPort: 19093,
  identityPort: 19443,
  accessControl: false,
};
