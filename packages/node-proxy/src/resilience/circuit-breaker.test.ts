import { ManualClock } from '@nodemesh/kube-runtime';
import { describe, expect, it } from 'vitest';
import { type BreakerState, CircuitBreaker } from './circuit-breaker.js';
import { CircuitBreakers } from './circuit-breakers.js';

const config = { errorPercentage: 50, minimumRequests: 4, windowMs: 10_000, openDurationMs: 1_000 };

function breaker(overrides: Partial<typeof config> = {}) {
  const clock = new ManualClock(1_000_000);
  const states: BreakerState[] = [];
  const b = new CircuitBreaker({ ...config, ...overrides }, (s) => states.push(s), clock);
  /** One call through the breaker: true when it was let through. */
  const call = (ok: boolean): boolean => {
    if (!b.tryAcquire()) return false;
    if (ok) b.succeeded();
    else b.failed();
    return true;
  };
  return { b, clock, states, call };
}

describe('CircuitBreaker', () => {
  it('stays closed below the minimum number of calls, however many fail', () => {
    const { b, call } = breaker();
    for (let i = 0; i < 3; i++) call(false);
    expect(b.state).toBe('closed');
    expect(call(false)).toBe(true);
    expect(b.state).toBe('open');
  });

  it('opens at the error percentage (or more), not below it', () => {
    const below = breaker();
    for (const ok of [true, true, true, false, true, false, true]) below.call(ok);
    expect(below.b.state).toBe('closed'); // 2 of 7 failed
    const at = breaker();
    for (const ok of [true, false, true, false]) at.call(ok);
    expect(at.b.state).toBe('open'); // 2 of 4: 50 %
  });

  it('refuses calls while open, then lets exactly one trial through after the open duration', async () => {
    const { b, clock, states, call } = breaker();
    for (let i = 0; i < 4; i++) call(false);
    expect(b.tryAcquire()).toBe(false);
    await clock.advance(999);
    expect(b.tryAcquire()).toBe(false);
    await clock.advance(1);
    expect(b.state).toBe('half_open');
    expect(b.tryAcquire()).toBe(true);
    expect(b.tryAcquire()).toBe(false);
    b.succeeded();
    expect(b.state).toBe('closed');
    expect(states).toEqual(['open', 'half_open', 'closed']);
  });

  it('opens again when the trial fails, and starts the open duration anew', async () => {
    const { b, clock, states, call } = breaker();
    for (let i = 0; i < 4; i++) call(false);
    await clock.advance(1_000);
    expect(call(false)).toBe(true);
    expect(b.state).toBe('open');
    await clock.advance(999);
    expect(b.state).toBe('open');
    await clock.advance(1);
    expect(b.state).toBe('half_open');
    expect(states).toEqual(['open', 'half_open', 'open', 'half_open']);
  });

  it('forgets failures older than the window', async () => {
    const { b, clock, call } = breaker({ windowMs: 5_000 });
    for (let i = 0; i < 3; i++) call(false);
    await clock.advance(6_000);
    call(false);
    expect(b.state).toBe('closed'); // the three old failures left the window: 1 call in it
    for (let i = 0; i < 3; i++) call(true);
    call(false);
    // 2 failures in the 5 calls of the window (40 %); with the old ones it would be 5 of 8.
    expect(b.state).toBe('closed');
  });

  it('counts calls refused while open as calls, not failures', async () => {
    const { b, clock, call } = breaker();
    for (let i = 0; i < 4; i++) call(false);
    for (let i = 0; i < 20; i++) expect(call(true)).toBe(false);
    await clock.advance(1_000);
    call(true);
    expect(b.state).toBe('closed');
    // 4 failures in 25 calls: one more failure stays under 50 %.
    call(false);
    expect(b.state).toBe('closed');
  });

  it('an abandoned call (the caller’s or the proxy’s failure) decides nothing, even as the trial', async () => {
    const { b, clock, states, call } = breaker();
    for (let i = 0; i < 3; i++) call(false);
    expect(b.tryAcquire()).toBe(true);
    b.abandoned();
    // Four calls in the window, three failed: an abandoned call never opens the breaker.
    expect(b.state).toBe('closed');
    call(false);
    expect(b.state).toBe('open');
    await clock.advance(1_000);
    expect(b.tryAcquire()).toBe(true);
    b.abandoned();
    expect(b.state).toBe('half_open');
    // The trial was given back: the next call is the trial.
    expect(call(true)).toBe(true);
    expect(b.state).toBe('closed');
    expect(states).toEqual(['open', 'half_open', 'closed']);
  });

  it('shutdown stops the timer', () => {
    const { b, clock, call } = breaker();
    for (let i = 0; i < 4; i++) call(false);
    expect(clock.pendingTimers()).toBe(1);
    b.shutdown();
    expect(clock.pendingTimers()).toBe(0);
  });
});

describe('CircuitBreakers', () => {
  it('keeps a breaker while its config is equal, reports closed on creation and undefined on drop', () => {
    const seen: [string, BreakerState | undefined][] = [];
    const breakers = new CircuitBreakers({ onState: (key, state) => seen.push([key, state]) });
    const a = breakers.get('shop/orders', config);
    expect(breakers.get('shop/orders', { ...config })).toBe(a);
    breakers.prune(() => false);
    expect(seen).toEqual([
      ['shop/orders', 'closed'],
      ['shop/orders', undefined],
    ]);
  });

  it('divides the minimum number of calls among workers', () => {
    const breakers = new CircuitBreakers({ workers: 3 });
    const b = breakers.get('shop/orders', { ...config, minimumRequests: 4 });
    for (let i = 0; i < 2; i++) {
      b.tryAcquire();
      b.failed();
    }
    expect(b.state).toBe('open'); // ceil(4 / 3) = 2 calls are enough in one worker
  });
});
