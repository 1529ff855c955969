/**
 * A read-only map that is another map with some values replaced: the same keys in the same order, no copy of
 * the base. An endpoint change at 10 000 Services replaces one route under a few of some 40 000 Host keys;
 * copying them all was most of an incremental snapshot. Replacements accumulate over successive patches and
 * are folded into a fresh plain map once they pass an eighth of the base, so lookups stay two Map gets at most.
 */
export class ReplacedValuesMap<K, V> implements ReadonlyMap<K, V> {
  readonly #base: ReadonlyMap<K, V>;
  readonly #replaced: ReadonlyMap<K, V>;

  private constructor(base: ReadonlyMap<K, V>, replaced: ReadonlyMap<K, V>) {
    this.#base = base;
    this.#replaced = replaced;
  }

  /**
   * `map` with the values of `replacements` (keys `map` already has; others are ignored, keeping the key
   * set and order). Neither argument is changed.
   */
  static of<K, V>(map: ReadonlyMap<K, V>, replacements: ReadonlyMap<K, V>): ReadonlyMap<K, V> {
    const base = map instanceof ReplacedValuesMap ? (map.#base as ReadonlyMap<K, V>) : map;
    const replaced = new Map(map instanceof ReplacedValuesMap ? (map.#replaced as ReadonlyMap<K, V>) : []);
    for (const [key, value] of replacements) if (base.has(key)) replaced.set(key, value);
    if (replaced.size * 8 <= base.size) return new ReplacedValuesMap(base, replaced);
    const flat = new Map<K, V>();
    for (const [key, value] of base) flat.set(key, replaced.has(key) ? (replaced.get(key) as V) : value);
    return flat;
  }

  get size(): number {
    return this.#base.size;
  }

  get(key: K): V | undefined {
    const value = this.#replaced.get(key);
    return value !== undefined || this.#replaced.has(key) ? value : this.#base.get(key);
  }

  has(key: K): boolean {
    return this.#base.has(key);
  }

  forEach(callback: (value: V, key: K, map: ReadonlyMap<K, V>) => void, thisArg?: unknown): void {
    for (const [key, value] of this) callback.call(thisArg, value, key, this);
  }

  *entries(): MapIterator<[K, V]> {
    for (const [key, value] of this.#base) {
      yield [key, this.#replaced.has(key) ? (this.#replaced.get(key) as V) : value];
    }
  }

  keys(): MapIterator<K> {
    return this.#base.keys();
  }

  *values(): MapIterator<V> {
    for (const [, value] of this.entries()) yield value;
  }

  [Symbol.iterator](): MapIterator<[K, V]> {
    return this.entries();
  }
}
