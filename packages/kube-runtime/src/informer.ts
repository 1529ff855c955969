import { type Backoff, defaultBackoff } from './backoff.js';
import { type Clock, systemClock, type TimerHandle } from './clock.js';
import { GuardedWatch, type WatchHooks } from './guarded-watch.js';
import type { KubeConnection } from './kube-connection.js';
import { listResource } from './list-resource.js';
import { type KubeObject, type ListResponse, ListWatch } from './list-watch.js';
import { type Logger, silentLogger } from './logger.js';
import { objectKey } from './object-meta.js';

/**
 * What the consumer hears. Objects are passed as `unknown`: they come from the API server and must be
 * validated before use. A handler that throws is logged; the watch goes on.
 */
export interface InformerHandlers {
  onAdd?(obj: unknown): void;
  /** `previous` is the last state this informer delivered for the object. */
  onUpdate?(current: unknown, previous: unknown): void;
  /** The final state of the deleted object (from the watch event, or the last known one after a relist). */
  onDelete?(obj: unknown): void;
  /** Called once, after the first complete list has been delivered through onAdd. */
  onSynced?(): void;
}

export interface InformerOptions {
  /** Names the informer in logs and state (`services`, `pods`). */
  readonly name: string;
  readonly config: KubeConnection;
  /** The collection path: `/api/v1/services`, `/apis/split.smi-spec.io/v1alpha4/trafficsplits`. */
  readonly path: string;
  readonly labelSelector?: string;
  /** For example `spec.nodeName=node-a` to watch only the pods of one node. */
  readonly fieldSelector?: string;
  readonly handlers: InformerHandlers;
  /** Delay before restart number n after an error; 1 s doubling to 30 s by default. */
  readonly backoff?: Backoff;
  /**
   * A watch that the server closes cleanly sooner than this after opening, having sent nothing, counts as a
   * failure (backoff before reconnecting) so a misbehaving server cannot cause a reconnect storm. Default 1 s.
   */
  readonly minWatchDurationMs?: number;
  readonly clock?: Clock;
  readonly logger?: Logger;
  /**
   * What of each object to keep (object-fields.ts), applied to listed and watched objects before they are
   * stored or handed to the handlers; it must keep `metadata.name`, `namespace` and `resourceVersion`.
   */
  readonly transform?: (obj: Record<string, unknown>) => Record<string, unknown>;
}

/** Watch health for readiness probes and metrics. */
export interface InformerState {
  readonly name: string;
  readonly synced: boolean;
  /** A watch request is open. */
  readonly connected: boolean;
  /** Restarts after errors since start. */
  readonly restarts: number;
  readonly lastError: string | undefined;
  /** Objects currently known. */
  readonly objects: number;
}

/**
 * One resource kept in sync through the list-watch loop (list, then watch from the resourceVersion, relist
 * on 410 Gone). The loop stops on any other error; this adapter restarts it with backoff, resets the
 * backoff after a success, drops objects without a name instead of crashing on them, and isolates handler
 * failures.
 */
export class ResourceInformer {
  private readonly options: InformerOptions;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly backoff: Backoff;
  private readonly listWatch: ListWatch<KubeObject>;
  private readonly known = new Map<string, unknown>();
  private readonly openWatches = new Set<AbortController>();
  private started = false;
  private stopped = false;
  private synced = false;
  private connected = false;
  private attempts = 0;
  private restarts = 0;
  private lastError: string | undefined;
  private restartTimer: TimerHandle | undefined;
  private readonly delayedCloses = new Set<TimerHandle>();

  constructor(options: InformerOptions) {
    this.options = options;
    this.clock = options.clock ?? systemClock;
    this.logger = (options.logger ?? silentLogger).child({ informer: options.name });
    this.backoff = options.backoff ?? defaultBackoff;
    const guarded = new GuardedWatch(options.config, this.hooks(), options.transform);
    this.listWatch = new ListWatch<KubeObject>({
      path: options.path,
      watch: (path, params, onEvent, done) => guarded.watch(path, params, onEvent, done),
      list: () => this.fetchList(),
      labelSelector: options.labelSelector,
      fieldSelector: options.fieldSelector,
      handlers: {
        add: (obj) => this.upserted(obj),
        update: (obj) => this.upserted(obj),
        delete: (obj) => this.deleted(obj),
        error: (error) => this.failed(error),
      },
    });
  }

  /** Lists and starts watching. Errors are not thrown: they schedule a restart and show in `state()`. */
  start(): void {
    if (this.started || this.stopped) return;
    this.started = true;
    this.launch();
  }

  hasSynced(): boolean {
    return this.synced;
  }

  state(): InformerState {
    return {
      name: this.options.name,
      synced: this.synced,
      connected: this.connected,
      restarts: this.restarts,
      lastError: this.lastError,
      objects: this.known.size,
    };
  }

  /** A snapshot of the objects currently known, for consumers that rebuild from scratch. */
  objects(): unknown[] {
    return [...this.known.values()];
  }

  /** Stops watching and cancels any pending restart. Handlers are not called afterwards. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.connected = false;
    if (this.restartTimer !== undefined) this.clock.clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
    for (const timer of this.delayedCloses) this.clock.clearTimeout(timer);
    this.delayedCloses.clear();
    await this.listWatch.stop();
    for (const controller of this.openWatches) controller.abort();
    this.openWatches.clear();
  }

  /** The informer's side of GuardedWatch. */
  private hooks(): WatchHooks {
    return {
      stopped: () => this.stopped,
      listApplied: () => {
        if (this.synced || this.stopped) return;
        this.synced = true;
        this.logger.info('synced', { objects: this.known.size });
        this.call('onSynced', () => this.options.handlers.onSynced?.());
      },
      opened: (controller) => {
        if (this.stopped) {
          controller.abort();
          return;
        }
        this.openWatches.add(controller);
        this.connected = true;
      },
      closed: (controller) => {
        if (controller !== undefined) this.openWatches.delete(controller);
        this.connected = false;
      },
      healthy: () => {
        this.attempts = 0;
      },
      dropped: (reason) => this.logger.warn('dropped a watch event', { reason }),
      ended: (openedAtMs, events) => {
        const lasted = this.clock.now() - openedAtMs >= (this.options.minWatchDurationMs ?? 1_000);
        if (events > 0 || lasted) this.attempts = 0;
        return events > 0 || lasted;
      },
      nextBackoff: () => {
        this.attempts++;
        return this.backoff(this.attempts);
      },
      defer: (fn, ms) => {
        const timer = this.clock.setTimeout(() => {
          this.delayedCloses.delete(timer);
          fn();
        }, ms);
        this.delayedCloses.add(timer);
      },
      now: () => this.clock.now(),
    };
  }

  private launch(): void {
    this.listWatch.start().catch((error: unknown) => this.failed(error));
  }

  private async fetchList(): Promise<ListResponse<KubeObject>> {
    const result = await listResource(this.options.config, {
      path: this.options.path,
      labelSelector: this.options.labelSelector,
      fieldSelector: this.options.fieldSelector,
    });
    if (this.stopped) throw new Error('informer stopped');
    if (result.skipped > 0)
      this.logger.warn('skipped listed objects without a name', { count: result.skipped });
    const transform = this.options.transform;
    return {
      resourceVersion: result.resourceVersion,
      items: transform === undefined ? result.items : result.items.map((item) => transform(item)),
    };
  }

  private failed(error: unknown): void {
    this.connected = false;
    if (this.stopped || this.restartTimer !== undefined) return;
    this.attempts++;
    this.restarts++;
    this.lastError = describeError(error);
    const delay = this.backoff(this.attempts);
    this.logger.warn('watch failed; restarting', { error: this.lastError, retryInMs: delay });
    this.restartTimer = this.clock.setTimeout(() => {
      this.restartTimer = undefined;
      if (!this.stopped) this.launch();
    }, delay);
  }

  /** ListWatch's add and update both land here: what counts is whether this adapter knew the object. */
  private upserted(obj: KubeObject): void {
    if (this.stopped) return;
    const key = objectKey(obj);
    if (key === undefined) return;
    const previous = this.known.get(key);
    this.known.set(key, obj);
    if (previous === undefined) this.call('onAdd', () => this.options.handlers.onAdd?.(obj));
    else this.call('onUpdate', () => this.options.handlers.onUpdate?.(obj, previous));
  }

  private deleted(obj: KubeObject): void {
    if (this.stopped) return;
    const key = objectKey(obj);
    if (key === undefined) return;
    this.known.delete(key);
    this.call('onDelete', () => this.options.handlers.onDelete?.(obj));
  }

  private call(handler: string, fn: () => void): void {
    try {
      fn();
    } catch (error) {
      this.logger.error('handler threw', { handler, error: describeError(error) });
    }
  }
}

function describeError(error: unknown): string {
  if (error instanceof Error) {
    const status = (error as { statusCode?: unknown }).statusCode;
    return typeof status === 'number' && !error.message.includes(String(status))
      ? `HTTP ${status}: ${error.message}`
      : error.message;
  }
  return String(error);
}
