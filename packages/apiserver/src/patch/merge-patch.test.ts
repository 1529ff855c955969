import { describe, expect, it } from 'vitest';
import { applyMergePatch } from './merge-patch.js';

describe('JSON merge patch (RFC 7386)', () => {
  it('merges objects, removes keys set to null and replaces arrays', () => {
    const target = { a: 1, b: { c: 2, d: 3 }, list: [1, 2] };
    expect(applyMergePatch(target, { b: { c: null, e: 4 }, list: [3], f: 'x' })).toEqual({
      a: 1,
      b: { d: 3, e: 4 },
      list: [3],
      f: 'x',
    });
    expect(target).toEqual({ a: 1, b: { c: 2, d: 3 }, list: [1, 2] });
  });

  it('replaces the target when the patch is not an object', () => {
    expect(applyMergePatch({ a: 1 }, [1])).toEqual([1]);
    expect(applyMergePatch('x', { a: { b: null, c: 1 } })).toEqual({ a: { c: 1 } });
  });
});
