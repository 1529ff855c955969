/** An exponential backoff: the delay before retry number `attempt` (1 for the first retry). */
export type Backoff = (attempt: number) => number;

export interface ExponentialBackoffOptions {
  /** Delay before the first retry, in milliseconds. */
  readonly initialMs: number;
  /** The delay never grows past this, in milliseconds. */
  readonly maxMs: number;
}

/** Doubles from `initialMs` on each attempt up to `maxMs`: 1 s, 2 s, 4 s … 30 s with the defaults. */
export function exponentialBackoff({ initialMs, maxMs }: ExponentialBackoffOptions): Backoff {
  return (attempt) => {
    const exponent = Math.max(0, Math.floor(attempt) - 1);
    // 2 ** 31 is far past any sensible maximum; capping the exponent keeps the arithmetic finite.
    return Math.min(maxMs, initialMs * 2 ** Math.min(exponent, 31));
  };
}

/** The backoff for watches and failed syncs: 1 s doubling to 30 s. */
export const defaultBackoff: Backoff = exponentialBackoff({ initialMs: 1_000, maxMs: 30_000 });
