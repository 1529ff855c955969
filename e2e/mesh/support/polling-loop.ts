/**
 * A loop that polls the API server and applies what it read, for the mesh suite's stand-ins of cluster parts
 * (kube-proxy, the CNI's NetworkPolicy): polling keeps them simple, and the runner cannot hold a watch open
 * anyway (see ApiClient). Bounded: it stops after `maxPolls` or on `stop()`.
 */
import { setTimeout as sleep } from 'node:timers/promises';

export interface PollingLoopOptions {
  readonly intervalMs?: number;
  /** Polls before the loop gives up on its own (default: 20 minutes' worth). */
  readonly maxPolls?: number;
}

export abstract class PollingLoop {
  /** Completed polls (a poll whose lists could not be read does not count). */
  private polls = 0;
  private stopped = false;
  private running: Promise<void> | undefined;
  /** The last error, for a failing test's report. */
  lastError: string | undefined;

  constructor(
    /** What the loop stands in for, in its errors. */
    private readonly name: string,
    private readonly options: PollingLoopOptions = {},
  ) {}

  /** One poll: read, and apply what changed; throws when it could not read. */
  protected abstract pollOnce(): Promise<void>;

  start(): void {
    this.running ??= this.loop();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.running;
  }

  /** Resolves once a poll that started after this call has been applied; rejects after `timeoutMs`. */
  async settle(timeoutMs = 10_000): Promise<void> {
    const target = this.polls + 2;
    const deadline = Date.now() + timeoutMs;
    while (this.polls < target) {
      if (this.stopped) throw new Error(`the ${this.name} loop has stopped`);
      if (Date.now() > deadline)
        throw new Error(`${this.name} loop did not sync within ${timeoutMs} ms: ${this.lastError ?? ''}`);
      await sleep(25);
    }
  }

  private async loop(): Promise<void> {
    const interval = this.options.intervalMs ?? 200;
    const maxPolls = this.options.maxPolls ?? Math.ceil(1_200_000 / interval);
    for (let i = 0; i < maxPolls && !this.stopped; i += 1) {
      try {
        await this.pollOnce();
        this.polls += 1;
      } catch (error) {
        this.lastError = error instanceof Error ? error.message : String(error);
      }
      await sleep(interval);
    }
  }
}
