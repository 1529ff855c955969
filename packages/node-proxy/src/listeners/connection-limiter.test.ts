import { describe, expect, it } from 'vitest';
import { ConnectionLimiter } from './connection-limiter.js';

describe('ConnectionLimiter', () => {
  it('refuses past the per-source limit, and counts nothing for a refused connection', () => {
    const limiter = new ConnectionLimiter({ maxConnections: 10, maxConnectionsPerSource: 2 });
    expect(limiter.acquire('a')).toBeUndefined();
    expect(limiter.acquire('a')).toBeUndefined();
    expect(limiter.acquire('a')).toBe('source_limit');
    expect(limiter.openFrom('a')).toBe(2);
    expect(limiter.acquire('b')).toBeUndefined();
    expect(limiter.open).toBe(3);
    limiter.release('a');
    expect(limiter.acquire('a')).toBeUndefined();
  });

  it('refuses every source past the total limit, until one closes', () => {
    const limiter = new ConnectionLimiter({ maxConnections: 2, maxConnectionsPerSource: 2 });
    limiter.acquire('a');
    limiter.acquire('b');
    expect(limiter.acquire('c')).toBe('total_limit');
    limiter.release('b');
    expect(limiter.acquire('c')).toBeUndefined();
  });

  it('forgets sources with no connection, and ignores a release it did not count', () => {
    const limiter = new ConnectionLimiter({ maxConnections: 2, maxConnectionsPerSource: 1 });
    limiter.acquire('a');
    limiter.release('a');
    limiter.release('a');
    limiter.release('z');
    expect(limiter.open).toBe(0);
    expect(limiter.openFrom('a')).toBe(0);
  });
});
