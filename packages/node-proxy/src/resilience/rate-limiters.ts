/**
 * A token bucket per destination Service on this node, kept across snapshots while its config is unchanged.
 * With `workers` > 1 each worker refills at its share of the average, so the node as a whole sustains about the
 * configured rate; the burst is not divided: which worker a connection lands on is the kernel's choice, and a
 * divided burst would refuse back-to-back requests within the configured burst whenever they share a worker.
 * The cost: a node may let up to N × burst through at once.
 */
import type { RateLimitConfig } from '@nodemesh/smi-types';
import { KeyedRegistry, sameFields } from './keyed-registry.js';
import { TokenBucket } from './token-bucket.js';

export class RateLimiters {
  readonly #registry: KeyedRegistry<RateLimitConfig, TokenBucket>;

  constructor(now?: () => number, workers = 1) {
    const share = Math.max(1, workers);
    this.#registry = new KeyedRegistry({
      same: sameFields,
      create: (_key, config) =>
        new TokenBucket({ average: config.average / share, burst: config.burst }, now),
    });
  }

  get(serviceKey: string, config: RateLimitConfig): TokenBucket {
    return this.#registry.get(serviceKey, config);
  }

  prune(keep: (serviceKey: string) => boolean): void {
    this.#registry.prune(keep);
  }
}
