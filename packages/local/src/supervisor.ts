/**
 * Keeps one local-mode process running, as a kubelet keeps a container with `restartPolicy: Always`: when it
 * exits without being asked to, it is started again after a backoff (1 s doubling to 30 s, back to 1 s once a
 * run has lasted a minute), and every exit and restart is said on the console.
 */
import { type Backoff, exponentialBackoff } from '@nodemesh/kube-runtime';
import { type Child, stopChild } from './child-process.js';

export interface SupervisorOptions {
  readonly name: string;
  /** Starts the process; called again for each restart. */
  readonly start: () => Child;
  readonly print: (line: string) => void;
  /** Delay before restart number n (default 1 s doubling to 30 s). */
  readonly backoff?: Backoff;
  /** A run at least this long resets the backoff (default 60 s). */
  readonly stableAfterMs?: number;
}

export const RESTART_BACKOFF: Backoff = exponentialBackoff({ initialMs: 1_000, maxMs: 30_000 });

export class Supervisor {
  readonly #options: SupervisorOptions;
  #child: Child;
  #startedAt = 0;
  /** Restarts since the last stable run: picks the backoff. */
  #attempt = 0;
  #restarts = 0;
  #timer: NodeJS.Timeout | undefined;
  #stopping = false;

  constructor(options: SupervisorOptions) {
    this.#options = options;
    this.#child = this.#run();
  }

  get name(): string {
    return this.#options.name;
  }

  /** The process running now (or the one that last exited, while a restart is pending). */
  get child(): Child {
    return this.#child;
  }

  /** How many times the process has been started again. */
  get restarts(): number {
    return this.#restarts;
  }

  /** Stops the process (SIGTERM, then SIGKILL) and restarts it no more. */
  async stop(): Promise<void> {
    this.#stopping = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    await stopChild(this.#child);
  }

  #run(): Child {
    const child = this.#options.start();
    this.#startedAt = Date.now();
    void child.exited.then((how) => this.#exited(child, how));
    return child;
  }

  #exited(child: Child, how: string): void {
    if (this.#stopping || child !== this.#child) return;
    const { name, print } = this.#options;
    if (Date.now() - this.#startedAt >= (this.#options.stableAfterMs ?? 60_000)) this.#attempt = 0;
    this.#attempt++;
    const delayMs = (this.#options.backoff ?? RESTART_BACKOFF)(this.#attempt);
    print(`[local] ${name} ${describeExit(how)}; restarting in ${formatDelay(delayMs)}`);
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      if (this.#stopping) return;
      this.#restarts++;
      this.#child = this.#run();
      print(`[local] ${name} restarted (restart ${this.#restarts})`);
    }, delayMs);
  }
}

/** `exited with code 1`, `was killed by SIGKILL`, or the spawn error as it came. */
export function describeExit(how: string): string {
  if (/^\d+$/.test(how)) return `exited with code ${how}`;
  if (how.startsWith('SIG')) return `was killed by ${how}`;
  return `failed: ${how}`;
}

function formatDelay(ms: number): string {
  return ms >= 1_000 ? `${ms / 1_000} s` : `${ms} ms`;
}
