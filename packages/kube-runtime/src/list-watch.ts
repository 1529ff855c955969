/**
 * List, then watch from the list's resourceVersion, keeping the objects known by namespace and name: the
 * loop client-node's ListWatch runs, without the rest of the Kubernetes client. A list delivers `add` or
 * `update` for what it holds (update only when the resourceVersion moved) and `delete` for what it no longer
 * holds; watch events are applied as they come. A watch that ends cleanly is opened again from the last
 * resourceVersion; 410 Gone (expired version) makes it list again; any other failure is reported through
 * `error` and stops the loop (the informer restarts it with a backoff).
 */
import { statusOf } from './api-errors.js';
import type { WatchParams } from './watch-stream.js';

/** An object as far as the loop reads it. */
export interface KubeObject {
  readonly metadata?: {
    readonly name?: string;
    readonly namespace?: string;
    readonly resourceVersion?: string;
  };
}

export interface ListResponse<T> {
  readonly items: readonly T[];
  readonly resourceVersion: string;
}

/** Opens one watch; `done` is called once when it ends. Resolves with what aborts it. */
export type WatchFn = (
  path: string,
  params: WatchParams,
  onEvent: (type: string, object: unknown) => void,
  done: (error: unknown) => void,
) => Promise<AbortController>;

export interface ListWatchHandlers<T> {
  add(obj: T): void;
  update(obj: T): void;
  delete(obj: T): void;
  error(error: unknown): void;
}

export class ListWatch<T extends KubeObject> {
  readonly #path: string;
  readonly #watch: WatchFn;
  readonly #list: () => Promise<ListResponse<T>>;
  readonly #selectors: WatchParams;
  readonly #handlers: ListWatchHandlers<T>;
  /** namespace ('' when cluster-scoped) → name → object. */
  #objects = new Map<string, Map<string, T>>();
  #resourceVersion = '';
  #request: AbortController | undefined;
  #stopped = false;

  constructor(options: {
    path: string;
    watch: WatchFn;
    list: () => Promise<ListResponse<T>>;
    labelSelector?: string | undefined;
    fieldSelector?: string | undefined;
    handlers: ListWatchHandlers<T>;
  }) {
    this.#path = options.path;
    this.#watch = options.watch;
    this.#list = options.list;
    this.#selectors = { labelSelector: options.labelSelector, fieldSelector: options.fieldSelector };
    this.#handlers = options.handlers;
  }

  async start(): Promise<void> {
    this.#stopped = false;
    await this.#done(null);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#abort();
  }

  #abort(): void {
    this.#request?.abort();
    this.#request = undefined;
  }

  async #done(error: unknown): Promise<void> {
    this.#abort();
    if (error !== null && error !== undefined) {
      if (statusOf(error) !== 410) {
        this.#handlers.error(error);
        return;
      }
      this.#resourceVersion = '';
    }
    if (this.#stopped) return;
    if (this.#resourceVersion === '') {
      let list: ListResponse<T>;
      try {
        list = await this.#list();
      } catch (listError) {
        this.#handlers.error(listError);
        return;
      }
      this.#replaceAll(list.items);
      this.#resourceVersion = list.resourceVersion;
    }
    this.#request = await this.#watch(
      this.#path,
      { resourceVersion: this.#resourceVersion, allowWatchBookmarks: true, ...this.#selectors },
      (type, object) => this.#event(type, object),
      (watchError) => void this.#done(watchError),
    );
  }

  #event(type: string, object: unknown): void {
    const obj = object as T;
    switch (type) {
      case 'ERROR':
        // 410 Gone arrives as an event; the stream then ends and the next start lists again.
        if ((object as { code?: unknown } | undefined)?.code === 410) this.#resourceVersion = '';
        return;
      case 'ADDED':
      case 'MODIFIED':
        this.#upsert(obj);
        break;
      case 'DELETED':
        this.#remove(obj);
        break;
    }
    this.#resourceVersion = obj.metadata?.resourceVersion ?? '';
  }

  #replaceAll(items: readonly T[]): void {
    const listed = new Map<string, Set<string>>();
    for (const item of items) {
      const namespace = item.metadata?.namespace ?? '';
      let names = listed.get(namespace);
      if (names === undefined) {
        names = new Set();
        listed.set(namespace, names);
      }
      names.add(item.metadata?.name ?? '');
    }
    for (const [namespace, objects] of this.#objects) {
      const keep = listed.get(namespace);
      for (const [name, obj] of objects) {
        if (keep?.has(name)) continue;
        objects.delete(name);
        this.#handlers.delete(obj);
      }
      if (objects.size === 0) this.#objects.delete(namespace);
    }
    for (const item of items) this.#upsert(item);
  }

  #upsert(obj: T): void {
    const namespace = obj.metadata?.namespace ?? '';
    const name = obj.metadata?.name ?? '';
    let objects = this.#objects.get(namespace);
    if (objects === undefined) {
      objects = new Map();
      this.#objects.set(namespace, objects);
    }
    const known = objects.get(name);
    if (known === undefined) {
      objects.set(name, obj);
      this.#handlers.add(obj);
    } else if (
      known.metadata?.resourceVersion === undefined ||
      known.metadata.resourceVersion !== obj.metadata?.resourceVersion
    ) {
      objects.set(name, obj);
      this.#handlers.update(obj);
    }
  }

  /** A delete of something not known is not passed on. */
  #remove(obj: T): void {
    const namespace = obj.metadata?.namespace ?? '';
    const objects = this.#objects.get(namespace);
    if (objects === undefined || !objects.delete(obj.metadata?.name ?? '')) return;
    if (objects.size === 0) this.#objects.delete(namespace);
    this.#handlers.delete(obj);
  }
}
