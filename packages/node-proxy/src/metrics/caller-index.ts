/**
 * The callers of this node by IP, kept pod by pod: `set(key, pod)` records a pod that can call (or, with
 * undefined, that it cannot any more). When two pods claim one IP (a new pod reusing the address of one that
 * is going away) the latest update wins, and removing the old pod does not remove the new one's entry.
 * Pure data, no Kubernetes: the primary process reads pods from the API server, each worker keeps a copy.
 */
import { type Caller, type CallerResolver, normaliseIp } from './caller-resolver.js';

/** A pod that can call: its IPs and who it is. */
export interface PodCaller {
  /** `<namespace>/<name>`. */
  readonly key: string;
  readonly ips: readonly string[];
  readonly caller: Caller;
}

export class CallerIndex implements CallerResolver {
  readonly #byIp = new Map<string, PodCaller>();
  readonly #pods = new Map<string, PodCaller>();
  readonly #listeners = new Set<(key: string, pod: PodCaller | undefined) => void>();

  resolve(ip: string): Caller | undefined {
    return this.#byIp.get(normaliseIp(ip))?.caller;
  }

  /** Records pod `key` as `pod`, or forgets it (undefined: gone, or it cannot call). */
  set(key: string, pod: PodCaller | undefined): void {
    for (const ip of this.#pods.get(key)?.ips ?? []) {
      if (this.#byIp.get(ip)?.key === key) this.#byIp.delete(ip);
    }
    this.#pods.delete(key);
    if (pod !== undefined) {
      for (const ip of pod.ips) this.#byIp.set(ip, pod);
      this.#pods.set(key, pod);
    }
    for (const listener of this.#listeners) listener(key, pod);
  }

  /** Every pod known, to hand a new worker the whole table. */
  pods(): PodCaller[] {
    return [...this.#pods.values()];
  }

  /** Hears every `set`; returns the function that stops it. */
  onChange(listener: (key: string, pod: PodCaller | undefined) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** How many pod IPs are known. */
  get size(): number {
    return this.#byIp.size;
  }
}
