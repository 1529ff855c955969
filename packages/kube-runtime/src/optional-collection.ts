/**
 * An informer for a custom resource that may not be installed, perhaps in one of several versions. The
 * collection paths are tried in order (newest version first) and the first one served is watched. When none
 * is (404 for each), the kind counts as "synced, none of these" so readiness is not blocked, that is logged
 * once, and the paths are probed again every `probeIntervalMs`; once one is served, its informer starts and
 * its objects flow in like any change. Both components use it: the node-proxy for the SMI and Gateway API
 * kinds, the dns-controller for the Gateway API routes it writes status on. Built-in collections never take
 * this path.
 */
import { statusOf } from './api-errors.js';
import { type Clock, systemClock, type TimerHandle } from './clock.js';
import type { InformerState, ResourceInformer } from './informer.js';
import type { KubeConnection } from './kube-connection.js';
import { listResource } from './list-resource.js';
import type { Logger } from './logger.js';

export interface OptionalCollectionOptions {
  readonly config: KubeConnection;
  /** The collection's name in logs and informer states (`httproutes.gateway.networking.k8s.io`). */
  readonly name: string;
  /** Cluster-wide collection paths, one per accepted version, the preferred one first. */
  readonly paths: readonly string[];
  /** The informer for the path found served (made once). */
  readonly informer: (path: string) => ResourceInformer;
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
  #informer: ResourceInformer | undefined;
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
    return this.#absent || (this.#informer?.hasSynced() ?? false);
  }

  absent(): boolean {
    return this.#absent;
  }

  /** The path being watched, once one was found served. */
  watchedPath(): string | undefined {
    return this.#watchedPath;
  }

  /** The objects the informer holds (none while absent). */
  objects(): unknown[] {
    return this.#informer?.objects() ?? [];
  }

  /** The informer's state; an absent collection reads as synced (listed: none) with the 404 as last error. */
  state(): InformerState {
    const state: InformerState = this.#informer?.state() ?? {
      name: this.#options.name,
      synced: false,
      connected: false,
      restarts: 0,
      lastError: undefined,
      objects: 0,
    };
    return this.#absent
      ? { ...state, synced: true, lastError: 'not served (HTTP 404): CRD not installed?' }
      : state;
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    await this.#informer?.stop();
  }

  #watchedPath: string | undefined;

  async #probe(first: boolean): Promise<void> {
    for (const path of this.#options.paths) {
      if (this.#stopped) return;
      let status: number | undefined;
      try {
        await listResource(this.#options.config, { path, timeoutMs: 10_000 });
      } catch (error) {
        status = statusOf(error);
      }
      if (this.#stopped) return;
      if (status === 404) continue;
      // Served, or an error the informer's own retries will deal with.
      if (this.#absent) this.#options.logger.info('resource is served now: watching it', { path });
      this.#absent = false;
      this.#watchedPath = path;
      this.#informer = this.#options.informer(path);
      this.#informer.start();
      return;
    }
    if (first) {
      this.#absent = true;
      this.#options.logger.warn('resource not served (CRD not installed?): treated as none; checking again', {
        path: this.#options.paths.join(' '),
        probeIntervalMs: this.#options.probeIntervalMs,
      });
      this.#options.onSettled();
    }
    this.#timer = this.#clock.setTimeout(() => void this.#probe(false), this.#options.probeIntervalMs);
  }
}
