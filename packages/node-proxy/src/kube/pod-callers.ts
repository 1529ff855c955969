/**
 * Who is calling, from the Pods of this node: the node-proxy's CallerResolver. The pod informer (field
 * selector `spec.nodeName=<node>`) feeds `upsert`/`delete`; listeners call `resolve` per request, so it is a
 * map lookup.
 */
import { isIP } from 'node:net';
import { type FieldSelection, isRecord } from '@nodemesh/kube-runtime';
import { CallerIndex, type PodCaller } from '../metrics/caller-index.js';

export type { PodCaller } from '../metrics/caller-index.js';

/** The fields of a Pod `podCaller` reads: all the pods informer keeps of the pods of this node. */
export const POD_CALLER_FIELDS: FieldSelection = {
  metadata: { labels: true, ownerReferences: { controller: true, kind: true, name: true } },
  spec: { hostNetwork: true, serviceAccountName: true, serviceAccount: true },
  status: { phase: true, podIP: true, podIPs: { ip: true } },
};

const str = (value: unknown): string | undefined =>
  typeof value === 'string' && value !== '' ? value : undefined;

/**
 * Reads a Pod into a caller, or undefined when it cannot call: not Running, no IP, or on the host network
 * (its IP is the node's, shared by every host-network pod, so it names nobody). Never throws.
 *
 * The workload is the pod's controller owner (a ReplicaSet's name without its `pod-template-hash` suffix,
 * so a Deployment's pods share one name across rollouts), else its `app.kubernetes.io/name` or `app` label,
 * else the pod's own name. The ServiceAccount defaults to `default`, as the API server sets it.
 */
export function podCaller(obj: unknown): PodCaller | undefined {
  if (!isRecord(obj) || !isRecord(obj.metadata)) return undefined;
  const metadata = obj.metadata;
  const spec = isRecord(obj.spec) ? obj.spec : {};
  const status = isRecord(obj.status) ? obj.status : {};
  const namespace = str(metadata.namespace);
  const name = str(metadata.name);
  if (namespace === undefined || name === undefined) return undefined;
  if (status.phase !== 'Running' || spec.hostNetwork === true) return undefined;
  const ips = new Set<string>();
  const podIP = str(status.podIP);
  if (podIP !== undefined && isIP(podIP) !== 0) ips.add(podIP);
  if (Array.isArray(status.podIPs)) {
    for (const entry of status.podIPs as unknown[]) {
      const ip = isRecord(entry) ? str(entry.ip) : undefined;
      if (ip !== undefined && isIP(ip) !== 0) ips.add(ip);
    }
  }
  if (ips.size === 0) return undefined;
  const labels = isRecord(metadata.labels) ? metadata.labels : {};
  const workload =
    ownerWorkload(metadata.ownerReferences, str(labels['pod-template-hash'])) ??
    str(labels['app.kubernetes.io/name']) ??
    str(labels.app) ??
    name;
  const serviceAccount = str(spec.serviceAccountName) ?? str(spec.serviceAccount) ?? 'default';
  return { key: `${namespace}/${name}`, ips: [...ips], caller: { namespace, workload, serviceAccount } };
}

function ownerWorkload(owners: unknown, templateHash: string | undefined): string | undefined {
  if (!Array.isArray(owners)) return undefined;
  const records = (owners as unknown[]).filter(isRecord);
  const owner = records.find((o) => o.controller === true) ?? records[0];
  const name = owner === undefined ? undefined : str(owner.name);
  if (owner === undefined || name === undefined) return undefined;
  if (owner.kind === 'ReplicaSet') {
    if (templateHash !== undefined && name.endsWith(`-${templateHash}`)) {
      return name.slice(0, -templateHash.length - 1);
    }
    // No label to go by: Deployment-made ReplicaSets end in `-<hash>` of alphanumerics.
    const match = /^(.+)-[0-9a-z]{5,10}$/.exec(name);
    if (match?.[1] !== undefined) return match[1];
  }
  return name;
}

/** The callers of this node by IP, fed with Pod objects as the pod informer delivers them. */
export class PodCallerIndex extends CallerIndex {
  /** Adds or updates a pod; a pod that can no longer call is removed. */
  upsert(obj: unknown): void {
    const key = podKey(obj);
    if (key !== undefined) this.set(key, podCaller(obj));
  }

  delete(obj: unknown): void {
    const key = podKey(obj);
    if (key !== undefined) this.set(key, undefined);
  }
}

function podKey(obj: unknown): string | undefined {
  if (!isRecord(obj) || !isRecord(obj.metadata)) return undefined;
  const namespace = str(obj.metadata.namespace);
  const name = str(obj.metadata.name);
  return namespace === undefined || name === undefined ? undefined : `${namespace}/${name}`;
}
