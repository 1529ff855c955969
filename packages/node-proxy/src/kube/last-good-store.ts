/**
 * The last good parsed version of each object of one kind. A new version that fails validation is reported
 * and skipped, so the previous good one stays in effect; a deleted object goes. Unchanged objects keep their
 * identity, which the topology builder's memo relies on.
 */
import type { Change } from '@nodemesh/kube-runtime';
import type { FieldError, Result } from '@nodemesh/smi-types';

/** Told about each version that failed: the raw object, why, and whether an older good version remains. */
export type InvalidHandler = (raw: unknown, errors: readonly FieldError[], keptLastGood: boolean) => void;

export class LastGoodStore<T> {
  readonly #values = new Map<string, T>();
  readonly #parse: (raw: unknown) => Result<T>;

  constructor(parse: (raw: unknown) => Result<T>) {
    this.#parse = parse;
  }

  /** Applies drained changes; returns the keys whose value changed (added, replaced or removed). */
  apply(changes: ReadonlyMap<string, Change<unknown>>, onInvalid: InvalidHandler): Set<string> {
    const changed = new Set<string>();
    for (const [key, change] of changes) {
      if (change.current === undefined) {
        if (this.#values.delete(key)) changed.add(key);
        continue;
      }
      const parsed = this.#parse(change.current);
      if (parsed.ok) {
        this.#values.set(key, parsed.value);
        changed.add(key);
      } else {
        onInvalid(change.current, parsed.errors, this.#values.has(key));
      }
    }
    return changed;
  }

  get(key: string): T | undefined {
    return this.#values.get(key);
  }

  has(key: string): boolean {
    return this.#values.has(key);
  }

  /** Entries in key order, so anything built from them is deterministic. */
  entries(): [string, T][] {
    return [...this.#values.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  }

  get size(): number {
    return this.#values.size;
  }
}
