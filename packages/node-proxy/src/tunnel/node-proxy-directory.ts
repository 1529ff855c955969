/**
 * Where the node proxy of each node listens: the node-proxy pods of the mesh namespace (label
 * `app.kubernetes.io/component: node-proxy`), Running, by `spec.nodeName` → `status.podIP`. The caller's
 * proxy reaches a pod on another node through that address and `--tunnel-port` (tunnel-route.ts). With host
 * networking (the e2e harness) the pod IP is the node's address, which is what the tunnel needs too.
 *
 * Kept pod by pod like the callers (caller-index.ts): when two pods claim a node (a DaemonSet rolling with
 * surge) the latest update wins, and removing the old pod does not remove the new one's entry. Pure data: the
 * informer (`upsert`/`delete`) feeds it in the control loop; a worker keeps a copy fed with `set`.
 */
import { isIP } from 'node:net';
import type { FieldSelection } from '@nodemesh/kube-runtime';
import { LABEL_COMPONENT, NODE_PROXY_COMPONENT } from '@nodemesh/smi-types';

/** The fields of a Pod `nodeProxyPod` reads: all the node-proxies informer keeps. */
export const NODE_PROXY_POD_FIELDS: FieldSelection = {
  metadata: { labels: true },
  spec: { nodeName: true },
  status: { phase: true, podIP: true },
};

/** The label selector of the node-proxies informer. */
export const NODE_PROXY_POD_SELECTOR = `${LABEL_COMPONENT}=${NODE_PROXY_COMPONENT}`;

/** A node proxy that can take tunnels: the node it serves and its address. */
export interface NodeProxyPod {
  /** `<namespace>/<name>` of the pod. */
  readonly key: string;
  readonly nodeName: string;
  readonly address: string;
}

type Obj = Readonly<Record<string, unknown>>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/** The pod's key, or undefined when it has no namespace and name. */
export function podKey(obj: unknown): string | undefined {
  if (!isObj(obj) || !isObj(obj.metadata)) return undefined;
  const namespace = str(obj.metadata.namespace);
  const name = str(obj.metadata.name);
  return namespace === undefined || name === undefined ? undefined : `${namespace}/${name}`;
}

/**
 * Reads a node-proxy pod; undefined when it cannot take tunnels: not labelled as a node proxy, not Running,
 * not scheduled, or without a valid IP. Never throws.
 */
export function nodeProxyPod(obj: unknown): NodeProxyPod | undefined {
  const key = podKey(obj);
  if (key === undefined || !isObj(obj)) return undefined;
  const metadata = obj.metadata as Obj;
  const labels = isObj(metadata.labels) ? metadata.labels : {};
  if (labels[LABEL_COMPONENT] !== NODE_PROXY_COMPONENT) return undefined;
  const spec = isObj(obj.spec) ? obj.spec : {};
  const status = isObj(obj.status) ? obj.status : {};
  if (status.phase !== 'Running') return undefined;
  const nodeName = str(spec.nodeName);
  const address = str(status.podIP);
  if (nodeName === undefined || address === undefined || isIP(address) === 0) return undefined;
  return { key, nodeName, address };
}

export class NodeProxyDirectory {
  readonly #byNode = new Map<string, NodeProxyPod>();
  readonly #pods = new Map<string, NodeProxyPod>();
  readonly #listeners = new Set<(key: string, pod: NodeProxyPod | undefined) => void>();
  #version = 0;

  /** The address of `nodeName`'s node proxy, or undefined when none is known. */
  addressOf(nodeName: string): string | undefined {
    return this.#byNode.get(nodeName)?.address;
  }

  /** Increases with every change that moved a node's address: what was derived from it is stale. */
  get version(): number {
    return this.#version;
  }

  /** Adds or updates a pod from the informer; one that can no longer take tunnels is removed. */
  upsert(obj: unknown): void {
    const key = podKey(obj);
    if (key !== undefined) this.set(key, nodeProxyPod(obj));
  }

  delete(obj: unknown): void {
    const key = podKey(obj);
    if (key !== undefined) this.set(key, undefined);
  }

  /** Records pod `key` as `pod`, or forgets it. */
  set(key: string, pod: NodeProxyPod | undefined): void {
    const before = this.#pods.get(key);
    if (before?.nodeName === pod?.nodeName && before?.address === pod?.address) return;
    if (before !== undefined) {
      this.#pods.delete(key);
      if (this.#byNode.get(before.nodeName)?.key === key) {
        this.#byNode.delete(before.nodeName);
        // Another pod of that node (the older of a surge) takes over.
        for (const other of this.#pods.values()) {
          if (other.nodeName === before.nodeName) this.#byNode.set(other.nodeName, other);
        }
      }
    }
    if (pod !== undefined) {
      this.#pods.set(key, pod);
      this.#byNode.set(pod.nodeName, pod);
    }
    this.#version++;
    for (const listener of this.#listeners) listener(key, pod);
  }

  /** Every pod known, to hand a new worker the whole table. */
  pods(): NodeProxyPod[] {
    return [...this.#pods.values()];
  }

  /** Hears every change; returns the function that stops it. */
  onChange(listener: (key: string, pod: NodeProxyPod | undefined) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
}
