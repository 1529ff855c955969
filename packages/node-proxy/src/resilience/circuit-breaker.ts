/**
 * One Service's circuit breaker, as plain numbers: a call asks `tryAcquire()` and reports `succeeded()` or
 * `failed()`; nothing is allocated per call (no promise, closure, event or array of its own), and the
 * rolling window is a ring of counters advanced by the clock, not by a timer.
 *
 * Closed: calls pass; once the window holds at least `minimumRequests` calls and `errorPercentage` percent
 * or more of them failed, it opens. Open: calls are refused for `openDurationMs`, then it turns half-open.
 * Half-open: exactly one trial call passes; its success closes the breaker, its failure opens it again.
 * Calls refused while open count in the window as calls (not as failures), as opossum counted them. A call
 * that failed through no fault of the upstream (`abandoned()`) is no failure and closes nothing.
 */
import type { CircuitBreakerConfig } from '@nodemesh/smi-types';

export type BreakerState = 'closed' | 'open' | 'half_open';

/** The time source: `now` in milliseconds, and a timer for the open → half-open step. */
export interface BreakerClock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemBreakerClock: BreakerClock = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms).unref(),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/** At most this many buckets in the window, each about a second long (at least one). */
const MAX_BUCKETS = 10;

export class CircuitBreaker {
  readonly config: CircuitBreakerConfig;
  readonly #clock: BreakerClock;
  readonly #onState: (state: BreakerState) => void;
  readonly #bucketMs: number;
  /** Per bucket: which bucket period it holds (floor(now / bucketMs)), its calls and its failures. */
  readonly #period: Float64Array;
  readonly #calls: Uint32Array;
  readonly #failures: Uint32Array;
  #state: BreakerState = 'closed';
  /** Half-open: whether the one trial call has been let through. */
  #trialTaken = false;
  #timer: unknown;

  constructor(
    config: CircuitBreakerConfig,
    onState: (state: BreakerState) => void = () => undefined,
    clock: BreakerClock = systemBreakerClock,
  ) {
    this.config = config;
    this.#clock = clock;
    this.#onState = onState;
    const buckets = Math.max(1, Math.min(MAX_BUCKETS, Math.round(config.windowMs / 1000)));
    this.#bucketMs = Math.max(1, Math.floor(config.windowMs / buckets));
    this.#period = new Float64Array(buckets).fill(-1);
    this.#calls = new Uint32Array(buckets);
    this.#failures = new Uint32Array(buckets);
  }

  get state(): BreakerState {
    return this.#state;
  }

  /** Whether a call may go now; it is counted in the window either way. False: fail fast. */
  tryAcquire(): boolean {
    const slot = this.#slot();
    this.#calls[slot] = (this.#calls[slot] ?? 0) + 1;
    if (this.#state === 'closed') return true;
    if (this.#state === 'half_open' && !this.#trialTaken) {
      this.#trialTaken = true;
      return true;
    }
    return false;
  }

  /** A call that `tryAcquire` let through succeeded. */
  succeeded(): void {
    if (this.#state === 'half_open') this.#close();
  }

  /**
   * A call that `tryAcquire` let through ended without telling anything of the upstream (the caller's
   * request failed, or the proxy's): it stays a call in the window but is no failure, and half-open, the
   * trial goes to the next call instead of closing the breaker on no evidence.
   */
  abandoned(): void {
    if (this.#state === 'half_open') this.#trialTaken = false;
  }

  /** A call that `tryAcquire` let through failed. */
  failed(): void {
    const slot = this.#slot();
    this.#failures[slot] = (this.#failures[slot] ?? 0) + 1;
    if (this.#state === 'half_open') {
      this.#open();
      return;
    }
    if (this.#state === 'open') return;
    let calls = 0;
    let failures = 0;
    const oldest = Math.floor(this.#clock.now() / this.#bucketMs) - this.#period.length;
    for (let i = 0; i < this.#period.length; i++) {
      if ((this.#period[i] ?? -1) > oldest) {
        calls += this.#calls[i] ?? 0;
        failures += this.#failures[i] ?? 0;
      }
    }
    if (calls >= this.config.minimumRequests && failures * 100 >= this.config.errorPercentage * calls) {
      this.#open();
    }
  }

  /** Stops the open → half-open timer; the breaker is not used afterwards. */
  shutdown(): void {
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** The bucket of now, emptied first when it still holds an older period. */
  #slot(): number {
    const period = Math.floor(this.#clock.now() / this.#bucketMs);
    const slot = period % this.#period.length;
    if (this.#period[slot] !== period) {
      this.#period[slot] = period;
      this.#calls[slot] = 0;
      this.#failures[slot] = 0;
    }
    return slot;
  }

  #open(): void {
    this.#state = 'open';
    this.#trialTaken = false;
    this.shutdown();
    this.#timer = this.#clock.setTimeout(() => {
      this.#timer = undefined;
      this.#state = 'half_open';
      this.#trialTaken = false;
      this.#onState('half_open');
    }, this.config.openDurationMs);
    this.#onState('open');
  }

  #close(): void {
    this.#state = 'closed';
    this.shutdown();
    this.#onState('closed');
  }
}
