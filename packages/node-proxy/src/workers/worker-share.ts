/**
 * A worker's share of the node's limits (pure). With `--workers N` every worker counts only what it serves
 * itself: counting across processes would put an IPC round trip on every new connection. So each worker
 * enforces ceil(limit / N), at least 1: the node admits about the limit in all (at most N − 1 more), and a
 * source whose connections land unevenly on the workers may be refused a little before it reaches the limit.
 * The kernel (SO_REUSEPORT) or the primary (`cluster`, round-robin) spreads connections evenly enough for
 * the limits' purpose: to keep one pod from taking every descriptor of the node.
 */
import type { ConnectionLimits } from '../listeners/connection-limiter.js';
import type { UdpListenerOptions } from '../listeners/udp-listener.js';

/** One worker's share of a count the node allows in all. */
export function shareOf(limit: number, workers: number): number {
  return Math.max(1, Math.ceil(limit / Math.max(1, workers)));
}

/** Open connections, in total and per source, that one worker admits. */
export function connectionShare(limits: ConnectionLimits, workers: number): ConnectionLimits {
  if (workers <= 1) return limits;
  return {
    maxConnections: shareOf(limits.maxConnections, workers),
    maxConnectionsPerSource: shareOf(limits.maxConnectionsPerSource, workers),
  };
}

/** UDP sessions, per listener and per source on it, that one worker holds. */
export function udpShare(options: UdpListenerOptions, workers: number): UdpListenerOptions {
  if (workers <= 1) return options;
  return {
    ...options,
    maxSessions: shareOf(options.maxSessions, workers),
    maxSessionsPerSource: shareOf(options.maxSessionsPerSource, workers),
  };
}
