/**
 * Per-Service state that must outlive snapshots (rate limiters, circuit breakers): one instance per Service
 * key, kept while its config stays equal, rebuilt when the config changes, disposed when the Service loses it.
 */
export class KeyedRegistry<C, T> {
  readonly #entries = new Map<string, { config: C; value: T }>();
  readonly #create: (key: string, config: C) => T;
  readonly #dispose: (value: T) => void;
  readonly #same: (a: C, b: C) => boolean;

  constructor(options: {
    create: (key: string, config: C) => T;
    dispose?: (value: T) => void;
    same: (a: C, b: C) => boolean;
  }) {
    this.#create = options.create;
    this.#dispose = options.dispose ?? (() => undefined);
    this.#same = options.same;
  }

  /** The instance for a key under this config: the existing one when its config is the same. */
  get(key: string, config: C): T {
    const entry = this.#entries.get(key);
    if (entry !== undefined && (entry.config === config || this.#same(entry.config, config))) {
      return entry.value;
    }
    if (entry !== undefined) this.#dispose(entry.value);
    const value = this.#create(key, config);
    this.#entries.set(key, { config, value });
    return value;
  }

  /** Disposes the instances whose key `keep` rejects (Service gone or its policy removed). */
  prune(keep: (key: string) => boolean): void {
    for (const [key, entry] of this.#entries) {
      if (!keep(key)) {
        this.#entries.delete(key);
        this.#dispose(entry.value);
      }
    }
  }

  get size(): number {
    return this.#entries.size;
  }

  clear(): void {
    this.prune(() => false);
  }
}

/** Shallow equality of two flat config objects. */
export function sameFields<T extends object>(a: T, b: T): boolean {
  const keys = Object.keys(a) as (keyof T)[];
  return keys.length === Object.keys(b).length && keys.every((k) => a[k] === b[k]);
}
