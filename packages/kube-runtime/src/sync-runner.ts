import { type Backoff, defaultBackoff } from './backoff.js';
import { type Clock, systemClock, type TimerHandle } from './clock.js';
import { type Logger, silentLogger } from './logger.js';

export interface SyncRunnerOptions {
  /** Names the runner in logs (`services`, `routing-snapshot`). */
  readonly name: string;
  /** The work. A rejection is logged and retried after a backoff. */
  readonly sync: () => Promise<void>;
  /** At least this long between the starts of two runs, in milliseconds. */
  readonly minIntervalMs: number;
  /** A run happens at least this often even when nobody asks (periodic resync), in milliseconds. */
  readonly maxIntervalMs: number;
  /** Delay before retrying a failed run, by consecutive failure count; 1 s doubling to 30 s by default. */
  readonly retryBackoff?: Backoff;
  readonly clock?: Clock;
  readonly logger?: Logger;
}

/** Counters for metrics and readiness. */
export interface SyncRunnerState {
  readonly started: boolean;
  readonly running: boolean;
  /** A run has been requested and not started yet. */
  readonly pending: boolean;
  readonly runs: number;
  readonly failures: number;
  /** Failures since the last success; 0 when the last run succeeded. */
  readonly consecutiveFailures: number;
  readonly lastError: string | undefined;
  /** Duration of the last finished run, in milliseconds, by the runner's clock. */
  readonly lastDurationMs: number | undefined;
}

/**
 * Runs one sync function at a bounded frequency. Requests (`run()`) made in a burst coalesce into one run; two
 * runs start at least `minIntervalMs` apart; a run happens every `maxIntervalMs` anyway; runs never overlap; a
 * failed run is retried after a backoff (new requests do not shorten the backoff). Nothing runs before
 * `start()`, which callers invoke once every informer has synced, so the first run sees complete state.
 */
export class SyncRunner {
  private readonly options: SyncRunnerOptions;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly backoff: Backoff;
  private started = false;
  private stopped = false;
  private pendingRequest = false;
  private inFlight: Promise<void> | undefined;
  private timer: TimerHandle | undefined;
  private lastStart: number | undefined;
  private retryAt: number | undefined;
  private counters = { runs: 0, failures: 0, consecutiveFailures: 0 };
  private lastError: string | undefined;
  private lastDurationMs: number | undefined;

  constructor(options: SyncRunnerOptions) {
    if (!(options.minIntervalMs >= 0) || !(options.maxIntervalMs >= options.minIntervalMs)) {
      throw new Error(
        `sync runner ${options.name}: need 0 <= minIntervalMs <= maxIntervalMs, got ${options.minIntervalMs} and ${options.maxIntervalMs}`,
      );
    }
    this.options = options;
    this.clock = options.clock ?? systemClock;
    this.logger = (options.logger ?? silentLogger).child({ runner: options.name });
    this.backoff = options.retryBackoff ?? defaultBackoff;
  }

  /** Allows runs from now on and requests the first one. Later calls do nothing. */
  start(): void {
    if (this.started || this.stopped) return;
    this.started = true;
    this.pendingRequest = true;
    this.schedule();
  }

  /** Requests a run. Cheap; call it on every change. Before `start()` the request waits for it. */
  run(): void {
    if (this.stopped) return;
    this.pendingRequest = true;
    if (this.started) this.schedule();
  }

  /** Stops scheduling and waits for a run in progress to finish. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.cancelTimer();
    await this.inFlight;
  }

  state(): SyncRunnerState {
    return {
      started: this.started,
      running: this.inFlight !== undefined,
      pending: this.pendingRequest,
      ...this.counters,
      lastError: this.lastError,
      lastDurationMs: this.lastDurationMs,
    };
  }

  /** Sets the one timer for the next run: soon if a run is pending, else at the periodic resync. */
  private schedule(): void {
    if (this.stopped || !this.started || this.inFlight !== undefined) return;
    const now = this.clock.now();
    let due: number;
    if (this.lastStart === undefined) {
      due = now;
    } else if (this.pendingRequest) {
      due = this.lastStart + this.options.minIntervalMs;
    } else {
      due = this.lastStart + this.options.maxIntervalMs;
    }
    if (this.retryAt !== undefined) due = Math.max(due, this.retryAt);
    this.cancelTimer();
    this.timer = this.clock.setTimeout(() => this.execute(), Math.max(0, due - now));
  }

  private execute(): void {
    this.timer = undefined;
    if (this.stopped || this.inFlight !== undefined) return;
    this.pendingRequest = false;
    const started = this.clock.now();
    this.lastStart = started;
    this.inFlight = this.invoke().then((error) => {
      this.inFlight = undefined;
      this.lastDurationMs = this.clock.now() - started;
      this.counters.runs++;
      if (error === undefined) {
        this.counters.consecutiveFailures = 0;
        this.retryAt = undefined;
        this.lastError = undefined;
      } else {
        this.counters.failures++;
        this.counters.consecutiveFailures++;
        const delay = this.backoff(this.counters.consecutiveFailures);
        this.retryAt = this.clock.now() + delay;
        this.lastError = error;
        this.pendingRequest = true;
        this.logger.warn('sync failed; will retry', { error, retryInMs: delay });
      }
      this.schedule();
    });
  }

  /** Runs the sync function once, turning a throw or rejection into an error message. */
  private async invoke(): Promise<string | undefined> {
    try {
      await this.options.sync();
      return undefined;
    } catch (error) {
      return error instanceof Error ? error.message : String(error);
    }
  }

  private cancelTimer(): void {
    if (this.timer !== undefined) {
      this.clock.clearTimeout(this.timer);
      this.timer = undefined;
    }
  }
}
