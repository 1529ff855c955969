/**
 * A retry budget per destination: retries may add at most `ratio` of the requests of the last `windowMs`,
 * plus `minPerSecond` so a quiet Service can still be retried. A failing Service then sees at most
 * (1 + ratio) times its normal load, never attempts × load. Clock injected, counts in one-second buckets.
 */
export interface RetryBudgetConfig {
  readonly ratio: number;
  readonly minPerSecond: number;
  readonly windowMs: number;
}

export const DEFAULT_RETRY_BUDGET: RetryBudgetConfig = { ratio: 0.2, minPerSecond: 10, windowMs: 10_000 };

const BUCKET_MS = 1_000;

export class RetryBudget {
  readonly #config: RetryBudgetConfig;
  readonly #now: () => number;
  readonly #requests: number[];
  readonly #retries: number[];
  #bucket: number;

  constructor(config: RetryBudgetConfig = DEFAULT_RETRY_BUDGET, now: () => number = () => performance.now()) {
    this.#config = config;
    this.#now = now;
    const buckets = Math.max(1, Math.ceil(config.windowMs / BUCKET_MS));
    this.#requests = new Array<number>(buckets).fill(0);
    this.#retries = new Array<number>(buckets).fill(0);
    this.#bucket = Math.floor(now() / BUCKET_MS);
  }

  /** Counts one original request (not a retry). */
  request(): void {
    this.#advance();
    this.#add(this.#requests);
  }

  /** Takes a retry from the budget; false when it is spent (the caller answers with what it has). */
  tryRetry(): boolean {
    this.#advance();
    const requests = sum(this.#requests);
    const retries = sum(this.#retries);
    const seconds = (this.#requests.length * BUCKET_MS) / 1000;
    if (retries >= this.#config.minPerSecond * seconds + this.#config.ratio * requests) return false;
    this.#add(this.#retries);
    return true;
  }

  #add(counts: number[]): void {
    const i = this.#bucket % counts.length;
    counts[i] = (counts[i] ?? 0) + 1;
  }

  #advance(): void {
    const bucket = Math.floor(this.#now() / BUCKET_MS);
    const steps = Math.min(bucket - this.#bucket, this.#requests.length);
    for (let s = 1; s <= steps; s++) {
      const i = (this.#bucket + s) % this.#requests.length;
      this.#requests[i] = 0;
      this.#retries[i] = 0;
    }
    if (bucket > this.#bucket) this.#bucket = bucket;
  }
}

function sum(counts: readonly number[]): number {
  let total = 0;
  for (const c of counts) total += c;
  return total;
}
