/**
 * A token bucket per destination Service on this node, kept across snapshots while its config is unchanged.
 * With `workers` > 1 each worker holds its share of the limit (average and burst divided among them), so the
 * node as a whole allows about the configured rate.
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
        new TokenBucket({ average: config.average / share, burst: Math.max(1, config.burst / share) }, now),
    });
  }

  get(serviceKey: string, config: RateLimitConfig): TokenBucket {
    return this.#registry.get(serviceKey, config);
  }

  prune(keep: (serviceKey: string) => boolean): void {
    this.#registry.prune(keep);
  }
}
