/**
 * The caller side of the tunnel put together for a node proxy: its TunnelClient (when the node proxies'
 * identity is known, i.e. workload identity is on) and the TunnelRouter the listeners decide with. Plain data
 * in (a worker gets the same options as its primary), so every process builds the same thing.
 */
import type { SecureContext } from 'node:tls';
import type { WorkloadIdentity } from '@nodemesh/smi-types';
import type { NodeProxyDirectory } from './node-proxy-directory.js';
import { TunnelClient } from './tunnel-client.js';
import { TunnelRouter } from './tunnel-router.js';
import { DEFAULT_TUNNEL_PORT } from './tunnel-server.js';

export interface CallerTunnelOptions {
  /** The node this proxy serves: endpoints on it are local. */
  readonly nodeName: string;
  /** The port every node proxy's tunnel server listens on (`--tunnel-port`; 0: none, so no tunnel). */
  readonly tunnelPort?: number;
  /**
   * The identity a destination's node proxy must present (the node proxies' ServiceAccount in the mesh
   * namespace). Absent: workload identity is off, and no call can use the tunnel.
   */
  readonly serverIdentity?: WorkloadIdentity;
  /** TunnelClient timing (tests). */
  readonly idleTimeoutMs?: number;
  readonly connectTimeoutMs?: number;
  /** How long a failed tunnel to a node makes permissive calls to it fall back at once (default 5 s). */
  readonly failureHoldMs?: number;
}

export function tunnelRouter(
  options: CallerTunnelOptions | undefined,
  directory: NodeProxyDirectory,
  secureContextFor: (namespace: string, serviceAccount: string) => SecureContext | undefined,
): { readonly router: TunnelRouter; readonly client: TunnelClient | undefined } {
  const tunnelPort = options?.tunnelPort ?? DEFAULT_TUNNEL_PORT;
  const client =
    options?.serverIdentity === undefined || tunnelPort === 0
      ? undefined
      : new TunnelClient({
          serverIdentity: options.serverIdentity,
          secureContextFor,
          ...(options.idleTimeoutMs === undefined ? {} : { idleTimeoutMs: options.idleTimeoutMs }),
          ...(options.connectTimeoutMs === undefined ? {} : { connectTimeoutMs: options.connectTimeoutMs }),
        });
  const router = new TunnelRouter({
    nodeName: options?.nodeName,
    tunnelPort,
    directory,
    client,
    hasCertificate: (namespace, serviceAccount) => secureContextFor(namespace, serviceAccount) !== undefined,
    ...(options?.failureHoldMs === undefined ? {} : { failureHoldMs: options.failureHoldMs }),
  });
  return { router, client };
}
