/**
 * An informer for a custom resource that may not be installed. A 404 on the first list means the CRD is
 * absent: that counts as "synced, none of these" so readiness is not blocked, is logged once, and the
 * collection is probed again every `probeIntervalMs`; once it is served, the informer starts and its objects
 * flow in like any change. Built-in collections never take this path.
 */
import {
  type Clock,
  type InformerState,
  type KubeConnection,
  type Logger,
  listResource,
  type ResourceInformer,
  statusOf,
  systemClock,
  type TimerHandle,
} from '@nodemesh/kube-runtime';

export interface OptionalCollectionOptions {
  readonly config: KubeConnection;
  readonly path: string;
  readonly informer: ResourceInformer;
  readonly probeIntervalMs: number;
  readonly logger: Logger;
  /** Called when the collection turns out absent (counts as synced) or its informer synced. */
  readonly onSettled: () => void;
  readonly clock?: Clock;
}

export class OptionalCollection {
  readonly #options: OptionalCollectionOptions;
  readonly #clock: Clock;
  #absent = false;
  #started = false;
  #stopped = false;
  #timer: TimerHandle | undefined;

  constructor(options: OptionalCollectionOptions) {
    this.#options = options;
    this.#clock = options.clock ?? systemClock;
  }

  start(): void {
    void this.#probe(true);
  }

  /** Synced, or known to be absent. */
  settled(): boolean {
    return this.#absent || this.#options.informer.hasSynced();
  }

  absent(): boolean {
    return this.#absent;
  }

  /** The informer's state; an absent collection reads as synced (listed: none) with the 404 as last error. */
  state(): InformerState {
    const state = this.#options.informer.state();
    return this.#absent
      ? { ...state, synced: true, lastError: 'not served (HTTP 404): CRD not installed?' }
      : state;
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    await this.#options.informer.stop();
  }

  async #probe(first: boolean): Promise<void> {
    if (this.#stopped) return;
    let status: number | undefined;
    try {
      await listResource(this.#options.config, { path: this.#options.path, timeoutMs: 10_000 });
    } catch (error) {
      status = statusOf(error);
    }
    if (this.#stopped) return;
    if (status === 404) {
      if (first) {
        this.#absent = true;
        this.#options.logger.warn(
          'resource not served (CRD not installed?): treated as none; checking again',
          {
            path: this.#options.path,
            probeIntervalMs: this.#options.probeIntervalMs,
          },
        );
        this.#options.onSettled();
      }
      this.#timer = this.#clock.setTimeout(() => void this.#probe(false), this.#options.probeIntervalMs);
      return;
    }
    // Served, or an error the informer's own retries will deal with.
    if (this.#absent)
      this.#options.logger.info('resource is served now: watching it', { path: this.#options.path });
    this.#absent = false;
    if (!this.#started) {
      this.#started = true;
      this.#options.informer.start();
    }
  }
}
