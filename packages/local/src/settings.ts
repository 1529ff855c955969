/**
 * Where local mode puts everything. Linux routes all of 127.0.0.0/8 to loopback, so the "cluster" gets its own
 * 127.x blocks: ClusterIPs from 127.10.0.0/16, pod IPs from 127.20.0.0/16, and the one node's address
 * 127.30.0.1, where the node-proxy listens (HTTP entrypoints 5000+, TCP and UDP allocations).
 */
export interface LocalSettings {
  readonly apiPort: number;
  readonly serviceCidr: string;
  readonly nodeName: string;
  /** The node's address: the node-proxy's listeners bind here. */
  readonly nodeIP: string;
  /** The first three parts of the sample pods' addresses, e.g. `127.20.0` for 127.20.0.11 and so on. */
  readonly podPrefix: string;
  readonly dnsHost: string;
  readonly dnsPort: number;
  readonly dnsAdminPort: number;
  readonly proxyAdminPort: number;
  /** The node-proxy's `/debug/*` listener, on 127.0.0.1. */
  readonly proxyDebugPort: number;
  /** The identity issuer's port (HTTPS, on 127.0.0.1). */
  readonly identityPort: number;
  readonly accessControl: boolean;
}

export const DEFAULT_LOCAL_SETTINGS: LocalSettings = {
  apiPort: 16443,
  serviceCidr: '127.10.0.0/16',
  nodeName: 'local',
  nodeIP: '127.30.0.1',
  podPrefix: '127.20.0',
  dnsHost: '127.0.0.1',
  dnsPort: 15353,
  dnsAdminPort: 19090,
  proxyAdminPort: 19091,
  proxyDebugPort: 19092,
  identityPort: 19443,
  accessControl: false,
};
