/**
 * Open connections on the data listeners (HTTP entrypoints and TCP listeners together), counted per source
 * address and in total (pure: no I/O). A connection past either limit is refused, so one pod cannot take the
 * descriptors every other pod of the node, and the health and metrics endpoints, need.
 */

export interface ConnectionLimits {
  /** Open connections on all data listeners together. */
  readonly maxConnections: number;
  /** Open connections from one source address (a pod; host-network pods share the node's). */
  readonly maxConnectionsPerSource: number;
}

/**
 * Each proxied connection holds two descriptors (caller and upstream). 16 384 fit well under the 1 048 576
 * open files a container gets from containerd by default; 1 024 from one pod is more than connection pools
 * open, and keeps 16 pods' worth for the others when one misbehaves.
 */
export const DEFAULT_CONNECTION_LIMITS: ConnectionLimits = {
  maxConnections: 16_384,
  maxConnectionsPerSource: 1_024,
};

export type ConnectionRefusal = 'total_limit' | 'source_limit';

export class ConnectionLimiter {
  readonly #limits: ConnectionLimits;
  readonly #bySource = new Map<string, number>();
  #open = 0;

  constructor(limits: ConnectionLimits = DEFAULT_CONNECTION_LIMITS) {
    this.#limits = limits;
  }

  /** Counts a new connection from `source`, or says why it is refused (then nothing is counted). */
  acquire(source: string): ConnectionRefusal | undefined {
    if (this.#open >= this.#limits.maxConnections) return 'total_limit';
    const fromSource = this.#bySource.get(source) ?? 0;
    if (fromSource >= this.#limits.maxConnectionsPerSource) return 'source_limit';
    this.#bySource.set(source, fromSource + 1);
    this.#open++;
    return undefined;
  }

  /** Forgets one connection `acquire` counted. */
  release(source: string): void {
    const fromSource = this.#bySource.get(source);
    if (fromSource === undefined) return;
    if (fromSource <= 1) this.#bySource.delete(source);
    else this.#bySource.set(source, fromSource - 1);
    this.#open--;
  }

  get open(): number {
    return this.#open;
  }

  openFrom(source: string): number {
    return this.#bySource.get(source) ?? 0;
  }
}
