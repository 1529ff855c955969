/**
 * Routes the pod subresources this server plays the kubelet for: `proxy` (plain HTTP requests) and
 * `portforward` (WebSocket upgrades). Everything else about pods is an ordinary resource.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { ApiError } from '../api/api-error.js';
import type { KubeObject } from '../api/kube-object.js';
import type { ClusterState } from '../cluster-state.js';
import { type AuditCall, auditCallOf } from '../http/audit-call.js';
import { parseApiPath, type ResourcePath } from '../http/request-path.js';
import { type PortForwarder, rejectUpgrade } from './pod-port-forward.js';
import { proxyToPod } from './pod-proxy.js';

/** Whether a parsed path is a pod subresource served here. */
export function isPodConnect(path: ResourcePath): boolean {
  return (
    path.group === '' &&
    path.plural === 'pods' &&
    path.namespace !== undefined &&
    path.name !== undefined &&
    (path.subresource === 'proxy' || path.subresource === 'portforward')
  );
}

function podFinder(state: ClusterState, namespace: string): (name: string) => KubeObject {
  const type = state.registry.find('', 'v1', 'pods');
  if (type === undefined) throw new ApiError('NotFound', 'pods are not served');
  return (name) => state.api.get(type, namespace, name);
}

/** Serves `pods/<name>/proxy/...`; `portforward` without an upgrade is refused as kube-apiserver does. */
export function servePodConnect(
  state: ClusterState,
  path: ResourcePath,
  url: URL,
  req: IncomingMessage,
  res: ServerResponse,
): void {
  if (path.subresource === 'portforward') {
    req.resume();
    throw new ApiError('BadRequest', 'port-forward needs a WebSocket upgrade (Upgrade: websocket)');
  }
  proxyToPod(path.name ?? '', podFinder(state, path.namespace ?? ''), url, req, res);
}

/** The server's `upgrade` listener: `pods/<name>/portforward` over WebSocket; anything else is refused. */
export function podUpgradeHandler(
  state: () => ClusterState,
  forwarder: PortForwarder,
  onRequest?: (call: AuditCall) => void,
): (req: IncomingMessage, socket: Duplex, head: Buffer) => void {
  return (req, socket, head) => {
    socket.on('error', () => socket.destroy());
    try {
      const url = new URL(req.url ?? '/', 'http://localhost');
      const parsed = parseApiPath(url.pathname);
      if (
        parsed.kind !== 'resource' ||
        !isPodConnect(parsed.path) ||
        parsed.path.subresource !== 'portforward'
      ) {
        throw new ApiError('NotFound', `no WebSocket endpoint at ${url.pathname}`);
      }
      const call = auditCallOf(req.method ?? 'GET', url, req.headers['user-agent']);
      if (call) onRequest?.(call);
      const pod = podFinder(state(), parsed.path.namespace ?? '')(parsed.path.name ?? '');
      forwarder.accept(req, socket, head, pod, url);
    } catch (error) {
      rejectUpgrade(socket, error instanceof ApiError ? error : new ApiError('InternalError', String(error)));
    }
  };
}
