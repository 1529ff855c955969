/**
 * Endpoint choice: power of two choices, least loaded. Two endpoints drawn at random, the one with fewer
 * requests in flight wins. Load is counted per endpoint key across snapshots, so a new snapshot with the same
 * pods keeps the counts. Only ready, non-terminating endpoints are in a snapshot's backend at all.
 */
import type { Endpoint } from '../snapshot/snapshot.js';
import { defaultRandom, type RandomSource } from './random.js';

/** Picks between two random distinct candidates by `load` (pure). */
export function pickPowerOfTwo<T>(
  candidates: readonly T[],
  load: (candidate: T) => number,
  random: RandomSource,
): T | undefined {
  const n = candidates.length;
  if (n <= 1) return candidates[0];
  const i = Math.floor(random() * n) % n;
  let j = Math.floor(random() * (n - 1)) % (n - 1);
  if (j >= i) j++;
  const a = candidates[i];
  const b = candidates[j];
  if (a === undefined || b === undefined) return a ?? b;
  return load(b) < load(a) ? b : a;
}

/** The in-flight counts behind the choice. `release` must be called once per `pick` that returned one. */
export class EndpointBalancer {
  readonly #inFlight = new Map<string, number>();
  readonly #random: RandomSource;

  constructor(random: RandomSource = defaultRandom) {
    this.#random = random;
  }

  /** Chooses an endpoint and counts a request on it; undefined when there is none. */
  pick(endpoints: readonly Endpoint[]): Endpoint | undefined {
    const chosen = pickPowerOfTwo(endpoints, (e) => this.load(e.key), this.#random);
    if (chosen !== undefined) this.#inFlight.set(chosen.key, this.load(chosen.key) + 1);
    return chosen;
  }

  release(endpoint: Endpoint): void {
    const left = this.load(endpoint.key) - 1;
    if (left <= 0) this.#inFlight.delete(endpoint.key);
    else this.#inFlight.set(endpoint.key, left);
  }

  load(key: string): number {
    return this.#inFlight.get(key) ?? 0;
  }
}
