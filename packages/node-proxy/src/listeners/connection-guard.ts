/**
 * The I/O side of the connection limits (connection-limiter.ts) and of closing sockets the HTTP server has
 * let go of: both hold descriptors that a hostile caller would otherwise keep.
 */
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { normaliseIp } from '../metrics/caller-resolver.js';
import type { ConnectionLimiter } from './connection-limiter.js';
import type { RoutingContext } from './listener.js';

/**
 * Counts a caller's new connection against the limits. A refused one is closed at once and counted in
 * `nodemesh_rejected_connections_total`; an admitted one is released when it closes. Returns whether admitted.
 */
export function guardConnection(
  socket: Socket,
  limiter: ConnectionLimiter,
  protocol: 'http' | 'tcp',
  ctx: RoutingContext,
): boolean {
  const address = socket.remoteAddress;
  if (address === undefined) {
    // Already gone (reset before we saw it).
    socket.destroy();
    return false;
  }
  const source = normaliseIp(address);
  const refused = limiter.acquire(source);
  if (refused !== undefined) {
    ctx.metrics.connectionRejected(ctx.callers.resolve(source), protocol, refused);
    socket.destroy();
    return false;
  }
  ctx.metrics.downstreamConnection(protocol, 1);
  socket.once('close', () => {
    limiter.release(source);
    ctx.metrics.downstreamConnection(protocol, -1);
  });
  return true;
}

/** How long a connection we have ended may wait for the caller to close its side. */
export const LINGER_MS = 2_000;

/**
 * Ends a socket the HTTP server no longer watches (an upgrade's), after `last`: what the caller still sends
 * is read and dropped, so the close sends a FIN rather than a reset that could cut our answer short, and the
 * socket is destroyed once the caller has closed its side too, or LINGER_MS after our last byte went out.
 */
export function endAndLinger(socket: Duplex, last?: string): void {
  socket.on('data', () => undefined);
  socket.resume();
  let timer: NodeJS.Timeout | undefined;
  const destroyWhenWritten = () => {
    if (socket.writableFinished) socket.destroy();
    else socket.once('finish', () => socket.destroy());
  };
  socket.once('end', destroyWhenWritten);
  socket.once('finish', () => {
    timer = setTimeout(() => socket.destroy(), LINGER_MS);
  });
  socket.once('close', () => clearTimeout(timer));
  if (last === undefined) socket.end();
  else socket.end(last);
}
