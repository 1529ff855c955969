import { describe, expect, it } from 'vitest';
import { defaultBackoff, exponentialBackoff } from './backoff.js';

describe('backoff', () => {
  it('doubles from 1 s to 30 s by default', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 100].map(defaultBackoff)).toEqual([
      1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000,
    ]);
  });

  it('stays finite for huge attempt numbers and treats 0 as the first', () => {
    const backoff = exponentialBackoff({ initialMs: 10, maxMs: 50 });
    expect(backoff(0)).toBe(10);
    expect(backoff(1e9)).toBe(50);
  });
});
