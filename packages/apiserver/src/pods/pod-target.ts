/**
 * Where the in-memory API server, playing the kubelet, connects for a pod's `proxy` and `portforward`
 * subresources: the pod's address and a port number. Pure.
 *
 * A real kubelet connects to the port on the pod's own loopback, inside the pod's network namespace, so a
 * listener bound to 127.0.0.1 in the pod is reachable. This server has no pod network namespaces: it connects
 * to `status.podIP`. A pod whose podIP is a loopback address (local mode's components) is therefore reached on
 * loopback, and a listener bound only to 127.0.0.1 is reachable only when the pod's podIP is 127.0.0.1.
 */
import { isIPv4 } from 'node:net';
import { ApiError, badRequest } from '../api/api-error.js';
import { isRecord, type KubeObject } from '../api/kube-object.js';

export interface PodTarget {
  readonly address: string;
  readonly port: number;
}

/** `name`, `name:port` or `http:name:port` (the proxy subresource's name segment) → pod name and port. */
export function parseProxyName(segment: string): { name: string; port: string | undefined } {
  const parts = segment.split(':');
  if (parts.length === 1) return { name: segment, port: undefined };
  if (parts.length === 2) return { name: parts[0] ?? '', port: parts[1] || undefined };
  if (parts.length === 3 && (parts[0] === 'http' || parts[0] === '')) {
    return { name: parts[1] ?? '', port: parts[2] || undefined };
  }
  if (parts.length === 3 && parts[0] === 'https') {
    throw badRequest('the in-memory API server proxies to pods over plain HTTP only, not https');
  }
  throw badRequest(
    `invalid pod proxy name ${JSON.stringify(segment)}: expected name, name:port or http:name:port`,
  );
}

/** The first port any container declares: what kube-apiserver proxies to when the URL names no port. */
export function firstContainerPort(pod: KubeObject): number | undefined {
  const spec = isRecord(pod.spec) ? pod.spec : {};
  const containers = Array.isArray(spec.containers) ? spec.containers : [];
  for (const container of containers) {
    const ports = isRecord(container) && Array.isArray(container.ports) ? container.ports : [];
    for (const entry of ports) {
      if (isRecord(entry) && typeof entry.containerPort === 'number') return entry.containerPort;
    }
  }
  return undefined;
}

/**
 * The address to connect to for `port` of `pod`: a port number, as kube-apiserver and the kubelet take it
 * (they do not resolve container-port names for pods); no port means the pod's first declared one, else 80.
 */
export function podTarget(pod: KubeObject, port: string | undefined): PodTarget {
  const name = pod.metadata.name ?? '';
  const status = isRecord(pod.status) ? pod.status : {};
  const address = status.podIP;
  if (typeof address !== 'string' || !isIPv4(address)) {
    throw new ApiError('ServiceUnavailable', `pod ${name} has no IPv4 podIP yet: nothing to connect to`);
  }
  if (port === undefined) return { address, port: firstContainerPort(pod) ?? 80 };
  const n = Number(port);
  if (!/^\d{1,5}$/.test(port) || n < 1 || n > 65535) {
    throw badRequest(
      `invalid port ${JSON.stringify(port)} for pod ${name}: must be a number from 1 to 65535`,
    );
  }
  return { address, port: n };
}
