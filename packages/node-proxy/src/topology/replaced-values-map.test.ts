import { describe, expect, it } from 'vitest';
import { ReplacedValuesMap } from './replaced-values-map.js';

const base = (n: number) => new Map(Array.from({ length: n }, (_, i) => [`k${i}`, i]));

describe('ReplacedValuesMap', () => {
  it('reads as the base with the replaced values, same keys in the same order', () => {
    const map = ReplacedValuesMap.of(
      base(16),
      new Map([
        ['k3', 30],
        ['nope', 1],
      ]),
    );
    expect(map).toBeInstanceOf(ReplacedValuesMap);
    expect(map.get('k3')).toBe(30);
    expect(map.get('k4')).toBe(4);
    expect(map.get('nope')).toBeUndefined();
    expect(map.has('nope')).toBe(false);
    expect(map.size).toBe(16);
    expect([...map.keys()]).toEqual([...base(16).keys()]);
    expect([...map][3]).toEqual(['k3', 30]);
    expect([...map.values()][3]).toBe(30);
    const seen: [string, number][] = [];
    map.forEach((v, k) => {
      seen.push([k, v]);
    });
    expect(seen).toEqual([...map.entries()]);
  });

  it('keeps earlier replacements when patched again, and leaves its inputs alone', () => {
    const original = base(16);
    const once = ReplacedValuesMap.of(original, new Map([['k1', 10]]));
    const twice = ReplacedValuesMap.of(once, new Map([['k2', 20]]));
    expect([twice.get('k1'), twice.get('k2')]).toEqual([10, 20]);
    expect(once.get('k2')).toBe(2);
    expect(original.get('k1')).toBe(1);
  });

  it('folds into a plain map once an eighth of the keys are replaced', () => {
    const map = ReplacedValuesMap.of(
      base(16),
      new Map([
        ['k0', 0],
        ['k1', 10],
        ['k2', 20],
      ]),
    );
    expect(map).toBeInstanceOf(Map);
    expect([...map]).toEqual([...base(16)].map(([k, v]) => [k, k === 'k1' ? 10 : k === 'k2' ? 20 : v]));
  });
});
