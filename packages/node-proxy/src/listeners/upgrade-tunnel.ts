/**
 * An HTTP Upgrade (WebSocket) tunnel: the request head is replayed to the chosen endpoint with the same
 * header rewriting as any request, then bytes flow both ways untouched until either side closes.
 */
import type { IncomingMessage } from 'node:http';
import { connect, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { EndpointBalancer } from '../balancer/endpoint-balancer.js';
import { forwardRequestHeaders } from './forward-headers.js';
import { rawResponse } from './http-errors.js';
import type { ResolvedRequest } from './resolve-request.js';

/** Opens the tunnel; `tunnels` holds the caller's socket while it is open (a draining entrypoint ends them). */
export function tunnelUpgrade(
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  resolved: ResolvedRequest,
  clientIp: string | undefined,
  balancer: EndpointBalancer,
  tunnels: Set<Duplex>,
): void {
  const { endpoint } = resolved;
  tunnels.add(socket);
  const upstream: Socket = connect({ host: endpoint.address, port: endpoint.port });
  let released = false;
  const done = () => {
    if (!released) balancer.release(endpoint);
    released = true;
    tunnels.delete(socket);
    socket.destroy();
    upstream.destroy();
  };
  upstream.on('error', () => {
    if (socket.destroyed || upstream.bytesRead > 0) {
      done();
      return;
    }
    // Nothing came back yet: the caller gets a 502, and `done` runs when its socket has closed.
    upstream.destroy();
    socket.end(rawResponse(502, 'Bad Gateway', `could not reach ${resolved.backend.service.name}`));
  });
  socket.on('close', done);
  upstream.on('close', () => {
    if (upstream.bytesRead > 0 || socket.destroyed) done();
  });
  upstream.once('connect', () => {
    const headers = forwardRequestHeaders(req.headers, clientIp, { keepUpgrade: true });
    let text = `${req.method ?? 'GET'} ${req.url ?? '/'} HTTP/1.1\r\n`;
    for (const [name, value] of Object.entries(headers)) {
      for (const v of Array.isArray(value) ? value : [value]) text += `${name}: ${v}\r\n`;
    }
    upstream.write(`${text}\r\n`);
    if (head.length > 0) upstream.write(head);
    socket.pipe(upstream);
    upstream.pipe(socket);
  });
}
