import { cloneJson, type KubeObject, objectKey } from '../api/kube-object.js';

export type StoreEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

/** One change in the store, as kept in the history and handed to watchers. */
export interface StoreEvent {
  type: StoreEventType;
  /** Storage key of the resource (`services`, `leases.coordination.k8s.io`). */
  resource: string;
  resourceVersion: number;
  /** The object after the change (for DELETED: the last state, carrying the deletion's resourceVersion). */
  object: KubeObject;
  /** The object before the change, for MODIFIED and DELETED. */
  previous?: KubeObject;
}

export type StoreListener = (event: StoreEvent) => void;

export interface ObjectStoreOptions {
  /** How many events the history keeps; a watch from before the oldest kept one gets 410 Expired. */
  historySize?: number;
  /**
   * Start the resourceVersion counter here, with nothing resumable before it. A store that replaces a lost
   * one starts where the old one stopped, so clients resuming from an old version get 410 and relist.
   */
  startAt?: number;
}

/**
 * All objects by resource → namespace/name, one global resourceVersion counter (like etcd's revision) and a
 * ring buffer of recent events for watches that resume from a resourceVersion. Knows nothing of API rules.
 */
export class ObjectStore {
  private readonly objects = new Map<string, Map<string, KubeObject>>();
  private readonly history: (StoreEvent | undefined)[];
  private historyStart = 0;
  private historyLength = 0;
  private revision = 0;
  /** The highest resourceVersion that has fallen out of the history. */
  private compacted = 0;
  private readonly listeners = new Set<StoreListener>();

  constructor(options: ObjectStoreOptions = {}) {
    const size = options.historySize ?? 1000;
    if (!Number.isInteger(size) || size < 1)
      throw new RangeError(`historySize must be a positive integer, got ${size}`);
    this.history = new Array(size);
    const startAt = options.startAt ?? 0;
    if (!Number.isInteger(startAt) || startAt < 0)
      throw new RangeError(`startAt must be a non-negative integer, got ${startAt}`);
    this.revision = startAt;
    // Nothing at or before startAt can be resumed: those versions belong to a store that is gone.
    this.compacted = startAt > 0 ? startAt + 1 : 0;
  }

  get resourceVersion(): number {
    return this.revision;
  }

  /** The oldest resourceVersion a watch may resume from. */
  get oldestResumableVersion(): number {
    return this.compacted;
  }

  get(resource: string, namespace: string | undefined, name: string): KubeObject | undefined {
    const obj = this.objects.get(resource)?.get(objectKey(namespace, name));
    return obj === undefined ? undefined : cloneJson(obj);
  }

  /** Objects of a resource, in one namespace or all, sorted by namespace/name like the real server. */
  list(resource: string, namespace?: string): KubeObject[] {
    const bucket = this.objects.get(resource);
    if (!bucket) return [];
    const out: KubeObject[] = [];
    const keys = [...bucket.keys()].sort();
    for (const key of keys) {
      const obj = bucket.get(key);
      if (!obj) continue;
      if (namespace !== undefined && namespace !== '' && obj.metadata.namespace !== namespace) continue;
      out.push(cloneJson(obj));
    }
    return out;
  }

  /** Stores a new or changed object, stamping the next resourceVersion. Returns the stored copy. */
  put(resource: string, obj: KubeObject): KubeObject {
    const name = obj.metadata.name ?? '';
    const key = objectKey(obj.metadata.namespace, name);
    let bucket = this.objects.get(resource);
    if (!bucket) {
      bucket = new Map();
      this.objects.set(resource, bucket);
    }
    const previous = bucket.get(key);
    this.revision += 1;
    const stored = cloneJson(obj);
    stored.metadata.resourceVersion = String(this.revision);
    bucket.set(key, stored);
    const event: StoreEvent = {
      type: previous ? 'MODIFIED' : 'ADDED',
      resource,
      resourceVersion: this.revision,
      object: stored,
    };
    if (previous) event.previous = previous;
    this.record(event);
    return cloneJson(stored);
  }

  /** Removes an object; the DELETED event carries a fresh resourceVersion. */
  remove(resource: string, namespace: string | undefined, name: string): KubeObject | undefined {
    const bucket = this.objects.get(resource);
    const key = objectKey(namespace, name);
    const previous = bucket?.get(key);
    if (!bucket || !previous) return undefined;
    bucket.delete(key);
    this.revision += 1;
    const last = cloneJson(previous);
    last.metadata.resourceVersion = String(this.revision);
    this.record({ type: 'DELETED', resource, resourceVersion: this.revision, object: last, previous });
    return cloneJson(last);
  }

  /** Drops every object of a resource (used when a CRD is deleted), emitting DELETED events. */
  removeAll(resource: string): void {
    for (const obj of this.list(resource))
      this.remove(resource, obj.metadata.namespace, obj.metadata.name ?? '');
    this.objects.delete(resource);
  }

  /**
   * Events of one resource after `resourceVersion`, oldest first; `undefined` when the history no longer
   * reaches back that far, or the version is newer than any this store made (the caller answers 410).
   */
  eventsSince(resource: string, resourceVersion: number): StoreEvent[] | undefined {
    // Too old (compacted away) or from the future (a store that lost its state): the client must relist.
    if (resourceVersion < this.compacted || resourceVersion > this.revision) return undefined;
    const out: StoreEvent[] = [];
    for (let i = 0; i < this.historyLength; i++) {
      const event = this.history[(this.historyStart + i) % this.history.length];
      if (event && event.resource === resource && event.resourceVersion > resourceVersion) out.push(event);
    }
    return out;
  }

  /** Calls `listener` synchronously after every change; returns the unsubscribe function. */
  subscribe(listener: StoreListener): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  private record(event: StoreEvent): void {
    const capacity = this.history.length;
    if (this.historyLength === capacity) {
      const evicted = this.history[this.historyStart];
      if (evicted) this.compacted = evicted.resourceVersion;
      this.history[this.historyStart] = event;
      this.historyStart = (this.historyStart + 1) % capacity;
    } else {
      this.history[(this.historyStart + this.historyLength) % capacity] = event;
      this.historyLength += 1;
    }
    for (const listener of [...this.listeners]) listener(event);
  }
}
