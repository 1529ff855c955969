/**
 * A token bucket (pure, clock injected): `burst` tokens at most, refilled at `average` per second. A request
 * takes one token or is rejected at once with the wait until the next token; nothing is ever queued.
 *
 * Why not bottleneck's reservoir: it refills only on its heartbeat (250 ms by default), so a refill interval
 * shorter than that loses tokens (interval 200 ms over 450 ms gave 1 token, not 2), and every check is an
 * async round through its scheduler. A few lines of arithmetic are exact and synchronous.
 */
export interface TokenBucketConfig {
  /** Tokens added per second. */
  readonly average: number;
  /** Bucket size: requests allowed at once above the average. At least 1. */
  readonly burst: number;
}

export type TakeResult = { readonly ok: true } | { readonly ok: false; readonly retryAfterMs: number };

/** Every granted take answers with this one object: nothing is allocated per request let through. */
const TAKEN: TakeResult = Object.freeze({ ok: true });

export class TokenBucket {
  readonly config: TokenBucketConfig;
  readonly #capacity: number;
  readonly #now: () => number;
  #tokens: number;
  #updatedAt: number;

  constructor(config: TokenBucketConfig, now: () => number = () => performance.now()) {
    this.config = config;
    this.#capacity = Math.max(1, config.burst);
    this.#now = now;
    this.#tokens = this.#capacity;
    this.#updatedAt = now();
  }

  /** Takes one token if there is one. */
  take(): TakeResult {
    const now = this.#now();
    const perMs = this.config.average / 1000;
    this.#tokens = Math.min(this.#capacity, this.#tokens + Math.max(0, now - this.#updatedAt) * perMs);
    this.#updatedAt = now;
    if (this.#tokens >= 1) {
      this.#tokens -= 1;
      return TAKEN;
    }
    const retryAfterMs = perMs > 0 ? Math.ceil((1 - this.#tokens) / perMs) : Number.POSITIVE_INFINITY;
    return { ok: false, retryAfterMs };
  }
}
