/**
 * A circuit breaker per destination Service (opossum), kept across snapshots while the Service's
 * `circuitBreaker` config is unchanged. It opens when, in the rolling window and after `minimumRequests`,
 * more than `errorPercentage` percent of calls failed; while open it fails at once; after `openDurationMs` one
 * trial call goes through (half-open) and closes it on success.
 */
import type { CircuitBreakerConfig } from '@nodemesh/smi-types';
import CircuitBreaker from 'opossum';
import { KeyedRegistry, sameFields } from './keyed-registry.js';

export type BreakerState = 'closed' | 'open' | 'half_open';

/** Raised instead of calling when the breaker is open. */
export class CircuitOpenError extends Error {
  readonly code = 'NM_CIRCUIT_OPEN';
  constructor(readonly serviceKey: string) {
    super(`circuit breaker of ${serviceKey} is open`);
  }
}

/** One Service's breaker: `run` calls `action` unless the breaker is open. */
export interface ServiceBreaker {
  run<T>(action: () => Promise<T>): Promise<T>;
  readonly state: BreakerState;
}

type Thunk = () => Promise<unknown>;

export class CircuitBreakers {
  readonly #registry: KeyedRegistry<CircuitBreakerConfig, ServiceBreaker & { shutdown(): void }>;

  /** `onState` hears every state change, including `closed` when a breaker is made. */
  constructor(onState: (serviceKey: string, state: BreakerState | undefined) => void = () => undefined) {
    this.#registry = new KeyedRegistry({
      same: sameFields,
      create: (key, config) => createBreaker(key, config, (state) => onState(key, state)),
      dispose: (breaker) => breaker.shutdown(),
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

function createBreaker(
  key: string,
  config: CircuitBreakerConfig,
  onState: (state: BreakerState | undefined) => void,
): ServiceBreaker & { shutdown(): void } {
  const breaker = new CircuitBreaker<[Thunk], unknown>((thunk: Thunk) => thunk(), {
    errorThresholdPercentage: config.errorPercentage,
    volumeThreshold: config.minimumRequests,
    rollingCountTimeout: config.windowMs,
    rollingCountBuckets: Math.max(1, Math.min(10, Math.round(config.windowMs / 1000))),
    resetTimeout: config.openDurationMs,
    // Timeouts are the proxy's own (per try and per request), not the breaker's.
    timeout: false,
    enableSnapshots: false,
  });
  let state: BreakerState = 'closed';
  const set = (next: BreakerState) => {
    state = next;
    onState(next);
  };
  breaker.on('open', () => set('open'));
  breaker.on('halfOpen', () => set('half_open'));
  breaker.on('close', () => set('closed'));
  onState('closed');
  return {
    get state() {
      return state;
    },
    async run<T>(action: () => Promise<T>): Promise<T> {
      try {
        return (await breaker.fire(action)) as T;
      } catch (err) {
        if (isOpenBreaker(err)) throw new CircuitOpenError(key);
        throw err;
      }
    },
    shutdown() {
      breaker.shutdown();
      onState(undefined);
    },
  };
}

function isOpenBreaker(err: unknown): boolean {
  return typeof err === 'object' && err !== null && 'code' in err && err.code === 'EOPENBREAKER';
}
