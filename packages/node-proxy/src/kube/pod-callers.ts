/**
 * Who is calling, from the Pods of this node: the node-proxy's CallerResolver. The pod informer (field
 * selector `spec.nodeName=<node>`) feeds `upsert`/`delete`; listeners call `resolve` per request, so it is a
 * map lookup.
 */
import { isIP } from 'node:net';
import { isRecord } from '@nodemesh/kube-runtime';
import { type Caller, type CallerResolver, normaliseIp } from '../metrics/caller-resolver.js';

/** A pod that can call: its IPs and who it is. */
export interface PodCaller {
  /** `<namespace>/<name>`. */
  readonly key: string;
  readonly ips: readonly string[];
  readonly caller: Caller;
}

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

/**
 * The callers of this node by IP. When two pods claim one IP (a new pod reusing the address of one that is
 * going away) the latest update wins, and removing the old pod does not remove the new one's entry.
 */
export class PodCallerIndex implements CallerResolver {
  readonly #byIp = new Map<string, PodCaller>();
  readonly #ipsOf = new Map<string, readonly string[]>();

  resolve(ip: string): Caller | undefined {
    return this.#byIp.get(normaliseIp(ip))?.caller;
  }

  /** Adds or updates a pod; a pod that can no longer call is removed. */
  upsert(obj: unknown): void {
    const pod = podCaller(obj);
    const key = podKey(obj);
    if (key !== undefined) this.#remove(key);
    if (pod === undefined) return;
    for (const ip of pod.ips) this.#byIp.set(ip, pod);
    this.#ipsOf.set(pod.key, pod.ips);
  }

  delete(obj: unknown): void {
    const key = podKey(obj);
    if (key !== undefined) this.#remove(key);
  }

  /** How many pod IPs are known. */
  get size(): number {
    return this.#byIp.size;
  }

  #remove(key: string): void {
    for (const ip of this.#ipsOf.get(key) ?? []) {
      if (this.#byIp.get(ip)?.key === key) this.#byIp.delete(ip);
    }
    this.#ipsOf.delete(key);
  }
}

function podKey(obj: unknown): string | undefined {
  if (!isRecord(obj) || !isRecord(obj.metadata)) return undefined;
  const namespace = str(obj.metadata.namespace);
  const name = str(obj.metadata.name);
  return namespace === undefined || name === undefined ? undefined : `${namespace}/${name}`;
}
