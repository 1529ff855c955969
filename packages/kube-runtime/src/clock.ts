/**
 * The time source every timer-driven piece of kube-runtime takes, so tests can drive time by hand
 * (see `ManualClock`) instead of sleeping.
 */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

/** An opaque timer handle; only the clock that made it understands it. */
export type TimerHandle = unknown;

/** The real clock. Timers are unref'd so a pending resync never keeps a process alive on its own. */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => {
    const timer = setTimeout(fn, ms);
    timer.unref();
    return timer;
  },
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};
