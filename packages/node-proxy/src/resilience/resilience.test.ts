import { describe, expect, it } from 'vitest';
import { KeyedRegistry, sameFields } from './keyed-registry.js';
import { RateLimiters } from './rate-limiters.js';
import { RetryBudget } from './retry-budget.js';
import { isRetryableError } from './retry-policy.js';
import { TokenBucket } from './token-bucket.js';

describe('TokenBucket', () => {
  it('allows the burst at once, then the average, and says how long to wait', () => {
    let now = 0;
    const bucket = new TokenBucket({ average: 2, burst: 3 }, () => now);
    expect([bucket.take(), bucket.take(), bucket.take()].every((r) => r.ok)).toBe(true);
    expect(bucket.take()).toEqual({ ok: false, retryAfterMs: 500 });
    now = 499;
    expect(bucket.take().ok).toBe(false);
    now = 1_000; // 2 tokens a second: 2 more by now
    expect([bucket.take(), bucket.take(), bucket.take()].map((r) => r.ok)).toEqual([true, true, false]);
    now = 100_000;
    expect([bucket.take(), bucket.take(), bucket.take(), bucket.take()].map((r) => r.ok)).toEqual([
      true,
      true,
      true,
      false,
    ]);
  });
});

describe('RateLimiters', () => {
  it('with workers, each keeps the whole burst and refills at its share of the average', () => {
    let now = 0;
    const limiters = new RateLimiters(() => now, 2);
    const bucket = limiters.get('shop/orders', { average: 1, burst: 2 });
    // Back-to-back requests within the burst pass whichever worker they land on.
    expect([bucket.take(), bucket.take(), bucket.take()].map((r) => r.ok)).toEqual([true, true, false]);
    now = 1_000; // half of 1 a second: not a whole token yet
    expect(bucket.take().ok).toBe(false);
    now = 2_000;
    expect(bucket.take().ok).toBe(true);
  });
});

describe('RetryBudget', () => {
  it('allows the floor plus a share of requests, and recovers as the window moves', () => {
    let now = 0;
    const budget = new RetryBudget({ ratio: 0.2, minPerSecond: 1, windowMs: 10_000 }, () => now);
    for (let i = 0; i < 100; i++) budget.request();
    let granted = 0;
    for (let i = 0; i < 1_000; i++) if (budget.tryRetry()) granted++;
    expect(granted).toBe(30); // 10 (floor over 10 s) + 20 % of 100
    now = 11_000;
    expect(budget.tryRetry()).toBe(true);
  });
});

describe('isRetryableError', () => {
  it('retries a refused connection for any method, a reset only for idempotent ones', () => {
    expect(isRetryableError({ code: 'ECONNREFUSED' }, 'POST')).toBe(true);
    expect(isRetryableError({ code: 'UND_ERR_SOCKET', cause: { code: 'ECONNRESET' } }, 'POST')).toBe(false);
    expect(isRetryableError({ code: 'UND_ERR_SOCKET', cause: { code: 'ECONNRESET' } }, 'GET')).toBe(true);
    expect(isRetryableError(new Error('x'), 'GET')).toBe(false);
  });
});

describe('KeyedRegistry', () => {
  it('keeps an instance while its config is equal and rebuilds it when it changes', () => {
    const disposed: number[] = [];
    let made = 0;
    const registry = new KeyedRegistry<{ a: number }, number>({
      same: sameFields,
      create: () => ++made,
      dispose: (v) => disposed.push(v),
    });
    expect(registry.get('k', { a: 1 })).toBe(1);
    expect(registry.get('k', { a: 1 })).toBe(1);
    expect(registry.get('k', { a: 2 })).toBe(2);
    registry.prune(() => false);
    expect(disposed).toEqual([1, 2]);
  });
});
