/** A token bucket per destination Service on this node, kept across snapshots while its config is unchanged. */
import type { RateLimitConfig } from '@nodemesh/smi-types';
import { KeyedRegistry, sameFields } from './keyed-registry.js';
import { TokenBucket } from './token-bucket.js';

export class RateLimiters {
  readonly #registry: KeyedRegistry<RateLimitConfig, TokenBucket>;

  constructor(now?: () => number) {
    this.#registry = new KeyedRegistry({
      same: sameFields,
      create: (_key, config) => new TokenBucket(config, now),
    });
  }

  get(serviceKey: string, config: RateLimitConfig): TokenBucket {
    return this.#registry.get(serviceKey, config);
  }

  prune(keep: (serviceKey: string) => boolean): void {
    this.#registry.prune(keep);
  }
}
