import { objectKey, readObjectMeta } from './object-meta.js';

/** What changed for one object since the last drain: undefined `previous` is an add, undefined `current` a delete. */
export interface Change<T> {
  readonly previous: T | undefined;
  readonly current: T | undefined;
}

export interface ChangeTrackerOptions<T> {
  /** The identity of an object; `namespace/name` by default. Objects without a key are ignored. */
  readonly keyOf?: (obj: T) => string | undefined;
  /**
   * The version of an object; `metadata.resourceVersion` by default. Two objects with the same defined version
   * are the same state, so an update between them is a no-op.
   */
  readonly versionOf?: (obj: T) => string | undefined;
}

/**
 * Accumulates changes between syncs, per object, keeping the state at the last drain (`previous`) and the
 * latest state (`current`). A sequence that ends where it started (add then delete, an update to the same
 * resourceVersion) leaves nothing pending, so the sync sees only real differences.
 */
export class ChangeTracker<T> {
  private readonly keyOf: (obj: T) => string | undefined;
  private readonly versionOf: (obj: T) => string | undefined;
  private changes = new Map<string, Change<T>>();

  constructor(options: ChangeTrackerOptions<T> = {}) {
    this.keyOf = options.keyOf ?? ((obj) => objectKey(obj));
    this.versionOf = options.versionOf ?? ((obj) => readObjectMeta(obj).resourceVersion);
  }

  add(obj: T): boolean {
    return this.update(undefined, obj);
  }

  delete(obj: T): boolean {
    return this.update(obj, undefined);
  }

  /**
   * Records a transition from `previous` to `current` (either may be undefined). Returns whether any change is
   * pending afterwards, i.e. whether a sync is needed.
   */
  update(previous: T | undefined, current: T | undefined): boolean {
    const sample = current ?? previous;
    if (sample === undefined) return this.changes.size > 0;
    const key = this.keyOf(sample);
    if (key === undefined) return this.changes.size > 0;
    const existing = this.changes.get(key);
    const change: Change<T> = { previous: existing ? existing.previous : previous, current };
    if (this.isNoOp(change)) {
      this.changes.delete(key);
    } else {
      this.changes.set(key, change);
    }
    return this.changes.size > 0;
  }

  /** How many objects have a pending change. */
  pending(): number {
    return this.changes.size;
  }

  /** Returns the pending changes keyed by object key and forgets them. */
  drain(): Map<string, Change<T>> {
    const drained = this.changes;
    this.changes = new Map();
    return drained;
  }

  private isNoOp({ previous, current }: Change<T>): boolean {
    if (previous === undefined || current === undefined) return previous === current;
    if (previous === current) return true;
    const before = this.versionOf(previous);
    return before !== undefined && before === this.versionOf(current);
  }
}
