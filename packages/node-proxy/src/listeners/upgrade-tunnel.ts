/**
 * A WebSocket tunnel (the rules are in upgrade-rules.ts): the admitted request head goes to the chosen
 * endpoint, rewritten like any request; the caller's bytes wait until the endpoint answers 101 switching to
 * websocket, and only then flow both ways untouched. Any other answer is relayed as a plain response and the
 * connection closes, so nothing the caller sent after its request head reaches the backend outside policy.
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { endAndLinger } from './connection-guard.js';
import { withoutHopByHop } from './forward-headers.js';
import { type ProxyError, proxyErrors, rawErrorResponse, upstreamError } from './http-errors.js';
import type { ResolvedRequest } from './resolve-request.js';
import { responseHead, switchedTo, TUNNEL_PROTOCOL } from './upgrade-rules.js';

export interface TunnelRequest {
  readonly resolved: ResolvedRequest;
  /** The normalised path and query. */
  readonly path: string;
  /** Already rewritten for the upstream (forwardRequestHeaders); Connection and Upgrade are set here. */
  readonly headers: Record<string, string | string[]>;
  /** How long the endpoint may take to answer the upgrade. */
  readonly answerTimeoutMs: number;
  readonly maxHeaderBytes: number;
  /**
   * Opens the connection to the endpoint through the mTLS tunnel to its node's proxy (docs/mtls.md);
   * undefined: a TCP connection straight to the pod.
   */
  readonly via?: () => Promise<Duplex>;
}

export interface TunnelHooks {
  /** The caller's answer: 101, a relayed status, or the proxy's own error. Called once. */
  answered(status: number, error: ProxyError | undefined): void;
  /** The tunnel is open; `close` ends it. Returns what to call when it ends by itself. */
  opened(close: () => void): () => void;
  /** Both sides are closed: the endpoint may be released. Called once. */
  finished(): void;
}

/** Sends the upgrade request to the endpoint and, once it switches to websocket, tunnels. */
export function openTunnel(socket: Duplex, head: Buffer, request: TunnelRequest, hooks: TunnelHooks): void {
  const { endpoint, backend } = request.resolved;
  const { via } = request;
  const service = `${backend.service.name}.${backend.service.namespace}`;
  const upstream = httpRequest({
    host: endpoint.address,
    port: endpoint.port,
    method: 'GET',
    path: request.path,
    headers: { ...request.headers, connection: 'Upgrade', upgrade: TUNNEL_PROTOCOL },
    setHost: false,
    maxHeaderSize: request.maxHeaderBytes,
    // node:http uses `createConnection` only without an agent (`agent: false` makes a new one).
    ...(via === undefined
      ? { agent: false }
      : {
          createConnection: (_options: unknown, oncreate: (error: Error | null, stream: Duplex) => void) => {
            via().then(
              (stream) => oncreate(null, stream),
              // node:http reads no stream when given an error; its type asks for one all the same.
              (error: unknown) =>
                oncreate(error instanceof Error ? error : new Error(String(error)), undefined as never),
            );
            return undefined;
          },
        }),
  });
  let upstreamSocket: Duplex | undefined;
  let unregister: (() => void) | undefined;
  let answered = false;
  let finished = false;
  const finish = () => {
    if (finished) return;
    finished = true;
    clearTimeout(timer);
    unregister?.();
    socket.destroy();
    upstream.destroy();
    upstreamSocket?.destroy();
    hooks.finished();
  };
  const answer = (status: number, error?: ProxyError) => {
    answered = true;
    clearTimeout(timer);
    hooks.answered(status, error);
  };
  /** The proxy's own answer when the endpoint gave none it could pass on. */
  const fail = (error: ProxyError) => {
    upstream.destroy();
    if (answered) {
      finish();
      return;
    }
    answer(error.status, error);
    endAndLinger(socket, rawErrorResponse(error));
  };
  const timer = setTimeout(() => fail(proxyErrors.upstreamTimeout(service)), request.answerTimeoutMs);
  socket.once('close', finish);
  // A tunnel's typed errors (a refusal by the destination, no certificate) get their own answers.
  upstream.on('error', (error) => fail(upstreamError(error, service)));
  upstream.on('response', (res: IncomingMessage) => {
    // Not switching: the answer goes back as a plain response, delimited by the close.
    answer(res.statusCode ?? 502);
    const headers = withoutHopByHop(res.headers, { stripMesh: true });
    headers.connection = 'close';
    socket.write(responseHead(res.statusCode ?? 502, res.statusMessage ?? '', headers));
    res.on('error', finish);
    res.on('end', () => endAndLinger(socket));
    res.pipe(socket, { end: false });
  });
  upstream.on('upgrade', (res: IncomingMessage, switched: Duplex, upstreamHead: Buffer) => {
    upstreamSocket = switched;
    if (!switchedTo(res.statusCode ?? 0, res.headers, TUNNEL_PROTOCOL)) {
      switched.destroy();
      fail({ ...proxyErrors.upstreamFailed(service), message: `${service} switched to another protocol` });
      return;
    }
    answer(101);
    const headers = withoutHopByHop(res.headers, { stripMesh: true });
    headers.connection = 'Upgrade';
    headers.upgrade = TUNNEL_PROTOCOL;
    socket.write(responseHead(101, 'Switching Protocols', headers));
    if (upstreamHead.length > 0) socket.write(upstreamHead);
    if (head.length > 0) switched.write(head);
    switched.on('error', finish);
    switched.on('close', finish);
    socket.on('error', finish);
    socket.pipe(switched);
    switched.pipe(socket);
    unregister = hooks.opened(finish);
  });
  upstream.end();
}
