/**
 * The two nodes of local mode and where each one's node-proxy is reached. Pure.
 *
 * Two nodes so that mTLS between node proxies (docs/mtls.md) runs here as on a cluster: bookstore-v2 runs on
 * the second node, so a call from bookbuyer (on the first) to v2 leaves its node proxy through the tunnel and
 * is decided by the second node's proxy with bookbuyer's verified identity, while a call to v1 stays local.
 *
 * A node-proxy Pod's `status.podIP` is read twice: other node proxies reach its tunnel there (on
 * `--tunnel-port`), and the in-memory API server reaches its admin port there for `pods/proxy` (`nodemesh
 * check`, `stat`, `version`) and its debug port for `pods/portforward` (`nodemesh config`). So:
 * - the second node's proxy has its node's address as podIP, as a host-network pod has, and binds its admin
 *   server there too; its `/debug` listener (which the node-proxy binds to 127.0.0.1 only) would be out of
 *   the API server's reach, so it runs none;
 * - the first node's proxy keeps podIP 127.0.0.1, where its admin and debug listeners are: no proxy ever
 *   tunnels to it, since every caller runs on the first node.
 */
import type { LocalSettings } from './settings.js';

export interface LocalNode {
  readonly name: string;
  /** The node's address: its node-proxy's traffic listeners and tunnel bind here. */
  readonly ip: string;
  /** The node-proxy's Pod in the mesh namespace (its identity token is bound to it). */
  readonly proxyPod: string;
  /** The node-proxy's process, as local mode names it in its console. */
  readonly process: string;
  /** The Pod's `status.podIP`: where the tunnel and the admin server are reached through the API. */
  readonly podIP: string;
  /** Where the node-proxy's /metrics, /healthz and /readyz listen: the podIP. */
  readonly adminHost: string;
  readonly adminPort: number;
  /** Its `/debug/*` listener on 127.0.0.1; 0: none. */
  readonly debugPort: number;
}

export function localNodes(settings: LocalSettings): readonly [LocalNode, LocalNode] {
  return [
    {
      name: settings.nodeName,
      ip: settings.nodeIP,
      proxyPod: `nodemesh-node-proxy-${settings.nodeName}`,
      process: 'node-proxy',
      podIP: '127.0.0.1',
      adminHost: '127.0.0.1',
      adminPort: settings.proxyAdminPort,
      debugPort: settings.proxyDebugPort,
    },
    {
      name: settings.secondNodeName,
      ip: settings.secondNodeIP,
      proxyPod: `nodemesh-node-proxy-${settings.secondNodeName}`,
      process: `node-proxy-${settings.secondNodeName}`,
      podIP: settings.secondNodeIP,
      adminHost: settings.secondNodeIP,
      adminPort: settings.secondProxyAdminPort,
      debugPort: 0,
    },
  ];
}

/** A node-proxy's /metrics, as a user on this machine reaches it. */
export const metricsUrl = (node: LocalNode): string => `http://${node.adminHost}:${node.adminPort}/metrics`;
