import { statusOf } from './api-errors.js';
import type { KubeConnection } from './kube-connection.js';
import { isRecord, objectKey } from './object-meta.js';
import { openWatch, type WatchParams } from './watch-stream.js';

/** What GuardedWatch reports to, and asks of, the informer that owns it. */
export interface WatchHooks {
  stopped(): boolean;
  /** The list (if any) has been applied and the watch is about to open. */
  listApplied(): void;
  opened(controller: AbortController): void;
  closed(controller: AbortController | undefined): void;
  /** An event arrived: the server works, so the next failure starts the backoff afresh. */
  healthy(): void;
  dropped(reason: string): void;
  /**
   * A watch ended. Returns whether it proved the server healthy (it lasted, or delivered events), in which
   * case the backoff resets.
   */
  ended(openedAtMs: number, events: number): boolean;
  /** Counts one more failed attempt and returns how long to wait before the next. */
  nextBackoff(): number;
  defer(fn: () => void, ms: number): void;
  now(): number;
}

/**
 * A watch (watch-stream.ts) with the guards the list-watch loop needs: malformed events are dropped before it
 * reads `metadata` from them, the informer learns when the list is done and when the stream opens and closes,
 * early empty clean closes and 410s are delayed by a backoff, and a watch that opens after `stop()` is aborted
 * at once.
 */
export class GuardedWatch {
  constructor(
    private readonly connection: KubeConnection,
    private readonly hooks: WatchHooks,
    private readonly transform?: (obj: Record<string, unknown>) => Record<string, unknown>,
  ) {}

  async watch(
    path: string,
    queryParams: WatchParams,
    callback: (phase: string, apiObj: unknown) => void,
    done: (err: unknown) => void,
  ): Promise<AbortController> {
    const hooks = this.hooks;
    hooks.listApplied();
    const openedAt = hooks.now();
    let events = 0;
    let finished = false;
    let controller: AbortController | undefined;
    const guardedCallback = (phase: string, obj: unknown) => {
      if (hooks.stopped()) return;
      if (!isRecord(obj)) {
        hooks.dropped(`${phase} event without an object`);
        return;
      }
      if (phase !== 'ERROR' && phase !== 'BOOKMARK' && objectKey(obj) === undefined) {
        hooks.dropped(`${phase} event for an object without a name`);
        return;
      }
      events++;
      // An ERROR event (410 Expired, say) is passed on but is no sign of health.
      if (phase !== 'ERROR') hooks.healthy();
      const kept =
        phase === 'ERROR' || phase === 'BOOKMARK' || this.transform === undefined ? obj : this.transform(obj);
      callback(phase, kept);
    };
    const guardedDone = (err: unknown) => {
      finished = true;
      hooks.closed(controller);
      if (hooks.stopped()) return;
      // ListWatch reconnects at once after a clean close and relists at once after a 410; if either keeps
      // happening right away with nothing received, wait a backoff first so a broken server gets no storm.
      const healthy = hooks.ended(openedAt, events);
      // Other errors stop ListWatch, and the informer restarts it with its own backoff.
      if (!healthy && (!err || statusOf(err) === 410)) hooks.defer(() => done(err), hooks.nextBackoff());
      else done(err);
    };
    controller = await openWatch(this.connection, path, queryParams, guardedCallback, guardedDone);
    if (!finished) hooks.opened(controller);
    return controller;
  }
}
