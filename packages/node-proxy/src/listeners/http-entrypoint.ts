/**
 * An HTTP entrypoint: fastify for the server side (parsing, limits, timeouts, draining), undici for the
 * upstream side with a pool per endpoint, a raw tunnel for Upgrade (WebSocket), and node:http2 for callers
 * that open the connection in HTTP/2 (h2c with prior knowledge, as gRPC clients do). Every request reads the
 * snapshot once, then: Host → route → split → access control → rate limit → endpoint → breaker → forward
 * with timeout and retries (resolve-request.ts, http-exchange.ts).
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { normaliseIp } from '../metrics/caller-resolver.js';
import { errorKind } from '../metrics/proxy-metrics.js';
import { annotateRoute, endRequestSpan } from '../tracing/request-span.js';
import { portSharing } from '../workers/port-sharing.js';
import { forwardRequestHeaders, withoutHopByHop } from './forward-headers.js';
import { type ProxyError, rawResponse } from './http-errors.js';
import { exchange } from './http-exchange.js';
import { Http2Downstream } from './http2-downstream.js';
import type { Listener, RoutingContext } from './listener.js';
import { splitByPreface } from './prior-knowledge.js';
import { type ResolvedRequest, resolveRequest, type UnroutableRequest } from './resolve-request.js';
import { tunnelUpgrade } from './upgrade-tunnel.js';
import type { UpstreamPools } from './upstream-pools.js';

export interface HttpEntrypointOptions {
  /** Largest request head accepted; larger gets 431. */
  readonly maxHeaderBytes: number;
  /** A client must send its whole request head within this. */
  readonly headersTimeoutMs: number;
  /** A client must send its whole request within this (0: no limit, for long uploads and streams). */
  readonly requestTimeoutMs: number;
  /** Idle keep-alive connections from callers are closed after this. */
  readonly keepAliveTimeoutMs: number;
}

export const DEFAULT_HTTP_ENTRYPOINT_OPTIONS: HttpEntrypointOptions = {
  maxHeaderBytes: 16 * 1024,
  headersTimeoutMs: 30_000,
  requestTimeoutMs: 300_000,
  keepAliveTimeoutMs: 60_000,
};

export class HttpEntrypoint implements Listener {
  readonly kind = 'http';
  readonly logicalPort: number;
  readonly #ctx: RoutingContext;
  readonly #pools: UpstreamPools;
  readonly #app: FastifyInstance;
  readonly #upgrades = new Set<Duplex>();
  readonly #http2: Http2Downstream;
  #server: Server | undefined;

  constructor(
    logicalPort: number,
    ctx: RoutingContext,
    pools: UpstreamPools,
    options = DEFAULT_HTTP_ENTRYPOINT_OPTIONS,
  ) {
    this.logicalPort = logicalPort;
    this.#ctx = ctx;
    this.#pools = pools;
    this.#http2 = new Http2Downstream(logicalPort, ctx, pools, options.maxHeaderBytes);
    this.#app = Fastify({
      logger: false,
      serverFactory: (handler) => {
        const server = createServer(
          {
            maxHeaderSize: options.maxHeaderBytes,
            headersTimeout: options.headersTimeoutMs,
            requestTimeout: options.requestTimeoutMs,
            keepAliveTimeout: options.keepAliveTimeoutMs,
            // How often node checks the two timeouts above; its default (30 s) would let them run late.
            connectionsCheckingInterval: Math.max(50, Math.min(1_000, options.headersTimeoutMs / 2)),
          },
          handler,
        );
        // HTTP/2 callers (gRPC) share the port: the connection preface decides who gets the socket.
        const [nodeConnection] = server.listeners('connection');
        if (nodeConnection !== undefined) {
          server.removeListener('connection', nodeConnection as (socket: Socket) => void);
          server.on('connection', (socket: Socket) =>
            splitByPreface(
              socket,
              options.headersTimeoutMs,
              (http1) => Reflect.apply(nodeConnection, server, [http1]),
              (stream, address) => this.#http2.accept(stream, address),
            ),
          );
        }
        server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) =>
          this.#upgrade(req, socket, head),
        );
        this.#server = server;
        return server;
      },
      clientErrorHandler: answerClientError,
      return503OnClosing: true,
    });
    // The body is not parsed: it streams to the upstream as it arrives.
    this.#app.removeAllContentTypeParsers();
    this.#app.addContentTypeParser('*', (_request, _payload, done) => done(null));
    const handler = (request: FastifyRequest, reply: FastifyReply) => this.#proxy(request, reply);
    this.#app.all('*', handler);
    this.#app.setNotFoundHandler(handler);
  }

  async listen(host: string, port: number): Promise<void> {
    await this.#app.listen({ host, port, ...portSharing() });
  }

  boundPort(): number | undefined {
    const address = this.#server?.address();
    return typeof address === 'object' && address !== null ? address.port : undefined;
  }

  async close(deadlineMs: number): Promise<void> {
    const server = this.#server;
    const cut = setTimeout(() => {
      server?.closeAllConnections();
      for (const socket of this.#upgrades) socket.destroy();
      this.#http2.destroy();
    }, deadlineMs);
    // A keep-alive connection whose response finishes during the drain turns idle; close those as they do.
    const idle = setInterval(() => server?.closeIdleConnections(), 50);
    try {
      // Tunnels are long-lived: a draining entrypoint ends them at once rather than wait for the deadline.
      for (const socket of this.#upgrades) socket.end();
      this.#http2.drain();
      await this.#app.close();
    } finally {
      clearTimeout(cut);
      clearInterval(idle);
    }
  }

  #resolve(req: IncomingMessage, ip = clientIp(req)): ResolvedRequest | UnroutableRequest {
    return resolveRequest(this.#ctx, this.logicalPort, {
      host: req.headers.host,
      method: req.method ?? 'GET',
      path: req.url ?? '/',
      headers: req.headers,
      clientIp: ip,
    });
  }

  async #proxy(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const started = performance.now();
    const req = request.raw;
    const method = req.method ?? 'GET';
    const span = this.#ctx.policy.tracer?.start(method, req.headers.traceparent);
    span?.set('http.request.method', method);
    const ip = clientIp(req);
    const resolved = this.#resolve(req, ip);
    if ('error' in resolved) {
      const { error, labels } = resolved;
      if (labels !== undefined) {
        const seconds = (performance.now() - started) / 1000;
        this.#ctx.metrics.httpRequest(labels, method, error.status, seconds);
        this.#ctx.metrics.proxyError(labels, error.code);
        if (span !== undefined) annotateRoute(span, labels, {});
      }
      if (span !== undefined) endRequestSpan(span, error.status, errorKind(error.code), 1);
      return this.#answer(reply, error);
    }
    const { backend, endpoint, labels } = resolved;
    if (span !== undefined) {
      annotateRoute(span, labels, {
        backend: `${backend.service.namespace}/${backend.service.name}`,
        endpoint: endpoint.key,
        allowedBy: resolved.allowedBy,
      });
    }
    let released = false;
    let attempts = 1;
    let outcome = 'forwarded';
    reply.raw.once('close', () => {
      if (!released) this.#ctx.balancer.release(endpoint);
      released = true;
      const seconds = (performance.now() - started) / 1000;
      this.#ctx.metrics.httpRequest(labels, method, reply.raw.statusCode, seconds);
      if (span !== undefined) {
        endRequestSpan(span, reply.raw.headersSent ? reply.raw.statusCode : 0, outcome, attempts);
      }
    });
    const hasBody =
      req.headers['content-length'] !== undefined || req.headers['transfer-encoding'] !== undefined;
    const length = Number(req.headers['content-length']);
    const result = await exchange(this.#ctx, this.#pools, resolved, {
      method,
      path: req.url ?? '/',
      headers: forwardRequestHeaders(req.headers, ip),
      body: hasBody ? req : undefined,
      contentLength: Number.isSafeInteger(length) ? length : undefined,
      span,
    });
    attempts = result.attempts;
    if ('error' in result) {
      outcome = errorKind(result.error.code);
      this.#ctx.metrics.proxyError(labels, result.error.code);
      if (reply.raw.headersSent) {
        reply.raw.destroy();
        return;
      }
      return this.#answer(reply, result.error);
    }
    const upstream = result.response;
    reply.code(upstream.statusCode);
    reply.headers(withoutHopByHop(upstream.headers, { stripMesh: true }));
    return reply.send(upstream.body);
  }

  #answer(reply: FastifyReply, error: ProxyError): FastifyReply {
    reply.code(error.status).header('x-nodemesh-error', error.code).type('text/plain; charset=utf-8');
    if (error.headers !== undefined) reply.headers(error.headers);
    return reply.send(`${error.message}\n`);
  }

  /** Upgrade (WebSocket): routed like any request, then tunnelled (see upgrade-tunnel.ts). */
  #upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => socket.destroy());
    const resolved = this.#resolve(req);
    if ('error' in resolved) {
      const { error } = resolved;
      if (resolved.labels !== undefined) this.#ctx.metrics.proxyError(resolved.labels, error.code);
      socket.end(rawResponse(error.status, REASONS[error.status] ?? 'Error', error.message));
      return;
    }
    tunnelUpgrade(req, socket, head, resolved, clientIp(req), this.#ctx.balancer, this.#upgrades);
  }
}

function clientIp(req: IncomingMessage): string | undefined {
  const address = req.socket.remoteAddress;
  return address === undefined ? undefined : normaliseIp(address);
}

const REASONS: Record<number, string> = {
  400: 'Bad Request',
  403: 'Forbidden',
  404: 'Not Found',
  429: 'Too Many Requests',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
  408: 'Request Timeout',
  431: 'Request Header Fields Too Large',
};

/** Malformed or oversized requests and slow clients: a short answer, then the connection is closed. */
function answerClientError(err: Error & { code?: string }, socket: Duplex): void {
  if (err.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  const status =
    err.code === 'HPE_HEADER_OVERFLOW' ? 431 : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
  const message =
    status === 431
      ? 'request headers too large'
      : status === 408
        ? 'request took too long'
        : 'malformed HTTP request';
  socket.end(rawResponse(status, REASONS[status] ?? 'Bad Request', message));
}
