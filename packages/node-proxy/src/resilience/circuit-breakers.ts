/**
 * A circuit breaker per destination Service (circuit-breaker.ts), kept across snapshots while the Service's
 * `circuitBreaker` config is unchanged. Each worker holds its own: with `workers` > 1, `minimumRequests` is
 * divided among them (rounded up), so a breaker sees about the share of traffic its worker gets.
 */
import type { CircuitBreakerConfig } from '@nodemesh/smi-types';
import {
  type BreakerClock,
  type BreakerState,
  CircuitBreaker,
  systemBreakerClock,
} from './circuit-breaker.js';
import { KeyedRegistry, sameFields } from './keyed-registry.js';

export type { BreakerState } from './circuit-breaker.js';
export { CircuitBreaker } from './circuit-breaker.js';

/** Raised instead of calling when the breaker is open. */
export class CircuitOpenError extends Error {
  readonly code = 'NM_CIRCUIT_OPEN';
  constructor(readonly serviceKey: string) {
    super(`circuit breaker of ${serviceKey} is open`);
  }
}

/** One Service's breaker, as the forward path uses it. */
export interface ServiceBreaker {
  readonly serviceKey: string;
  readonly state: BreakerState;
  tryAcquire(): boolean;
  succeeded(): void;
  failed(): void;
  abandoned(): void;
}

export interface CircuitBreakersOptions {
  /** Hears every state change, `closed` when a breaker is made and undefined when it is dropped. */
  readonly onState?: (serviceKey: string, state: BreakerState | undefined) => void;
  /** How many workers share the traffic (default 1). */
  readonly workers?: number;
  readonly clock?: BreakerClock;
}

class KeyedBreaker extends CircuitBreaker implements ServiceBreaker {
  constructor(
    readonly serviceKey: string,
    config: CircuitBreakerConfig,
    onState: (state: BreakerState) => void,
    clock: BreakerClock,
  ) {
    super(config, onState, clock);
  }
}

export class CircuitBreakers {
  readonly #registry: KeyedRegistry<CircuitBreakerConfig, KeyedBreaker>;

  constructor(options: CircuitBreakersOptions = {}) {
    const onState = options.onState ?? (() => undefined);
    const workers = Math.max(1, options.workers ?? 1);
    const clock = options.clock ?? systemBreakerClock;
    this.#registry = new KeyedRegistry({
      same: sameFields,
      create: (key, config) => {
        const share = { ...config, minimumRequests: Math.ceil(config.minimumRequests / workers) };
        const breaker = new KeyedBreaker(key, share, (state) => onState(key, state), clock);
        onState(key, 'closed');
        return breaker;
      },
      dispose: (breaker) => {
        breaker.shutdown();
        onState(breaker.serviceKey, undefined);
      },
    });
  }

  get(serviceKey: string, config: CircuitBreakerConfig): ServiceBreaker {
    return this.#registry.get(serviceKey, config);
  }

  /** Drops breakers of Services that no longer have one. */
  prune(keep: (serviceKey: string) => boolean): void {
    this.#registry.prune(keep);
  }

  clear(): void {
    this.#registry.clear();
  }
}
