/**
 * Log lines about refusals, at most one per reason per interval: a hostile peer can cause refusals as fast
 * as it can send, and must not be able to flood the log with them. What was held back is counted on the next
 * line of the same reason. The counters on the tunnel classes keep the exact numbers.
 */
import type { Logger } from '@nodemesh/kube-runtime';

type Fields = Record<string, string | number | boolean | undefined>;

export class ThrottledLog {
  readonly #logger: Logger;
  readonly #intervalMs: number;
  readonly #now: () => number;
  readonly #last = new Map<string, { at: number; held: number }>();

  constructor(logger: Logger, intervalMs = 10_000, now: () => number = Date.now) {
    this.#logger = logger;
    this.#intervalMs = intervalMs;
    this.#now = now;
  }

  warn(reason: string, message: string, fields: Fields): void {
    const now = this.#now();
    const last = this.#last.get(reason);
    if (last !== undefined && now - last.at < this.#intervalMs) {
      last.held += 1;
      return;
    }
    if (this.#last.size > 64) this.#last.clear();
    this.#last.set(reason, { at: now, held: 0 });
    this.#logger.warn(message, { reason, ...fields, suppressedSinceLast: last?.held ?? 0 });
  }
}
