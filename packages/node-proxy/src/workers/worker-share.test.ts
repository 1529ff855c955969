import { describe, expect, it } from 'vitest';
import { DEFAULT_CONNECTION_LIMITS } from '../listeners/connection-limiter.js';
import { DEFAULT_UDP_OPTIONS } from '../listeners/udp-listener.js';
import { connectionShare, shareOf, udpShare } from './worker-share.js';

describe('a worker’s share of the node’s limits', () => {
  it('is the limit divided by the workers, rounded up, at least one', () => {
    expect(shareOf(1024, 1)).toBe(1024);
    expect(shareOf(1024, 2)).toBe(512);
    expect(shareOf(5, 2)).toBe(3);
    expect(shareOf(1, 4)).toBe(1);
    expect(shareOf(10, 0)).toBe(10);
  });

  it('splits the connection and UDP session limits, and leaves a single process its whole limits', () => {
    const limits = { maxConnections: 16_384, maxConnectionsPerSource: 1_024 };
    expect(connectionShare(limits, 1)).toBe(limits);
    expect(connectionShare(limits, 4)).toEqual({ maxConnections: 4_096, maxConnectionsPerSource: 256 });
    expect(connectionShare(DEFAULT_CONNECTION_LIMITS, 3).maxConnectionsPerSource).toBe(342);
    const udp = { ...DEFAULT_UDP_OPTIONS, maxSessions: 4_096, maxSessionsPerSource: 1_024 };
    expect(udpShare(udp, 2)).toEqual({ ...udp, maxSessions: 2_048, maxSessionsPerSource: 512 });
    expect(udpShare(udp, 1)).toBe(udp);
  });
});
