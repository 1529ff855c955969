/**
 * An HTTP entrypoint: node:http for the server side (parsing, limits, timeouts), undici for the
 * upstream side with a pool per endpoint, a tunnel for WebSocket upgrades, and node:http2 for callers that
 * open the connection in HTTP/2 (h2c with prior knowledge, as gRPC clients do). Every request reads the
 * snapshot once, then: request target (normalised, request-target.ts) → Host → route → split → access
 * control → rate limit → endpoint → breaker → forward with timeout and retries (resolve-request.ts,
 * http-exchange.ts). Connections count against the node's limits (connection-guard.ts) from the first byte.
 */

import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { connect as connectTcp, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { MtlsMode } from '@nodemesh/smi-types';
import { planRequestHeaders } from '../filters/apply-plan.js';
import { type Caller, normaliseIp } from '../metrics/caller-resolver.js';
import { errorKind, type MeshCallMeters } from '../metrics/proxy-metrics.js';
import type { Endpoint, Snapshot } from '../snapshot/snapshot.js';
import { annotateRoute, endRequestSpan } from '../tracing/request-span.js';
import { fallsBack, type TunnelRouter } from '../tunnel/tunnel-router.js';
import { portSharing } from '../workers/port-sharing.js';
import { AdmittedConnections } from './admitted-connections.js';
import { answer, CallerResponse } from './caller-response.js';
import { endAndLinger, guardConnection } from './connection-guard.js';
import { ConnectionLimiter } from './connection-limiter.js';
import { forwardRequestHeaders } from './forward-headers.js';
import { proxyErrors, REASONS, rawErrorResponse, rawResponse } from './http-errors.js';
import { exchange } from './http-exchange.js';
import { Http2Downstream } from './http2-downstream.js';
import type { Listener, RoutingContext } from './listener.js';
import { splitByPreface } from './prior-knowledge.js';
import { OPTIONS_ANSWER_ALLOW, parseRequestTarget } from './request-target.js';
import { type ResolvedRequest, resolveRequest, type UnroutableRequest } from './resolve-request.js';
import { headWithoutUpgrade, upgradeKind } from './upgrade-rules.js';
import { openTunnel } from './upgrade-tunnel.js';
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

/** No limit: for an entrypoint made on its own (tests); the ListenerManager passes the node's shared one. */
const UNLIMITED = {
  maxConnections: Number.POSITIVE_INFINITY,
  maxConnectionsPerSource: Number.POSITIVE_INFINITY,
};

/** HTTP/1.1 takes absolute-form targets (a request addressed as to a forward proxy); one object for all. */
const HTTP1_TARGETS = { absoluteForm: true } as const;

/** Responses in flight on one connection; an upgrade request pipelined behind them waits for them. */
class InFlight {
  #count = 0;
  readonly #idle: (() => void)[] = [];

  /** Counts `res` until it closes. */
  add(res: ServerResponse): void {
    this.#count++;
    res.on('close', this.#closed);
  }

  /** Resolves once no response is in flight. */
  idle(): Promise<void> {
    if (this.#count === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  /** The one listener of every response's 'close' on this connection: no closure per request. */
  readonly #closed = (): void => {
    this.#count--;
    if (this.#count === 0) for (const resume of this.#idle.splice(0)) resume();
  };
}

export class HttpEntrypoint implements Listener {
  readonly kind = 'http';
  readonly logicalPort: number;
  readonly #ctx: RoutingContext;
  readonly #pools: UpstreamPools;
  readonly #options: HttpEntrypointOptions;
  readonly #upgrades = new Set<Duplex>();
  readonly #tunnels: AdmittedConnections;
  readonly #http2: Http2Downstream;
  readonly #inFlight = new WeakMap<Duplex, InFlight>();
  readonly #server: Server;
  /** Draining: requests still arriving on open connections get a 503 and the connection closes. */
  #closing = false;
  /** Hands a socket to node's HTTP/1.1 server (its own `connection` listener). */
  #http1: ((socket: Duplex) => void) | undefined;

  constructor(
    logicalPort: number,
    ctx: RoutingContext,
    pools: UpstreamPools,
    options = DEFAULT_HTTP_ENTRYPOINT_OPTIONS,
    limiter = new ConnectionLimiter(UNLIMITED),
  ) {
    this.logicalPort = logicalPort;
    this.#ctx = ctx;
    this.#pools = pools;
    this.#options = options;
    this.#tunnels = new AdmittedConnections(ctx.metrics, ctx.policy.accessControl);
    this.#http2 = new Http2Downstream(logicalPort, ctx, pools, options.maxHeaderBytes);
    const server = createServer({
      maxHeaderSize: options.maxHeaderBytes,
      headersTimeout: options.headersTimeoutMs,
      requestTimeout: options.requestTimeoutMs,
      keepAliveTimeout: options.keepAliveTimeoutMs,
      // How often node checks the two timeouts above; its default (30 s) would let them run late.
      connectionsCheckingInterval: Math.max(50, Math.min(1_000, options.headersTimeoutMs / 2)),
    });
    // Counted first, then HTTP/2 callers (gRPC) share the port: the connection preface decides.
    const [nodeConnection] = server.listeners('connection');
    if (nodeConnection === undefined) throw new Error('node:http server without a connection listener');
    server.removeListener('connection', nodeConnection as (socket: Socket) => void);
    const http1 = (socket: Duplex) => Reflect.apply(nodeConnection, server, [socket]);
    this.#http1 = http1;
    server.on('connection', (socket: Socket) => {
      if (!guardConnection(socket, limiter, 'http', ctx)) return;
      splitByPreface(socket, options.headersTimeoutMs, http1, (stream, address) =>
        this.#http2.accept(stream, address),
      );
    });
    server.on('request', (req: IncomingMessage, res: ServerResponse) => this.#request(req, res, false));
    server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => this.#request(req, res, true));
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      this.#upgrade(req, socket, head).catch(() => socket.destroy());
    });
    server.on('clientError', answerClientError);
    this.#server = server;
  }

  listen(host: string, port: number): Promise<void> {
    const server = this.#server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host, port, ...portSharing() }, () => {
        server.off('error', reject);
        resolve();
      });
    });
  }

  boundPort(): number | undefined {
    const address = this.#server.address();
    return typeof address === 'object' && address !== null ? address.port : undefined;
  }

  /** Closes the WebSocket tunnels a new snapshot no longer admits. */
  revalidate(snapshot: Snapshot): void {
    this.#tunnels.revalidate(snapshot);
  }

  async close(deadlineMs: number): Promise<void> {
    const server = this.#server;
    this.#closing = true;
    const cut = setTimeout(() => {
      server.closeAllConnections();
      for (const socket of this.#upgrades) socket.destroy();
      this.#http2.destroy();
    }, deadlineMs);
    // A keep-alive connection whose response finishes during the drain turns idle; close those as they do.
    const idle = setInterval(() => server.closeIdleConnections(), 50);
    try {
      // Tunnels are long-lived: a draining entrypoint ends them at once rather than wait for the deadline.
      for (const socket of this.#upgrades) socket.end();
      this.#http2.drain();
      await new Promise<void>((resolve) => {
        if (server.listening) server.close(() => resolve());
        else resolve();
      });
    } finally {
      clearTimeout(cut);
      clearInterval(idle);
    }
  }

  /** One request from node's HTTP/1.1 server; `awaitingContinue`: the caller sent `Expect: 100-continue`. */
  #request(req: IncomingMessage, res: ServerResponse, awaitingContinue: boolean): void {
    this.#track(req.socket, res);
    if (this.#closing) {
      answer(res, proxyErrors.draining(), true);
      return;
    }
    try {
      this.#proxy(req, res, awaitingContinue);
    } catch {
      // A fault of the proxy's own after the checks above: never a hanging caller.
      if (res.headersSent) res.destroy();
      else if (!res.destroyed) answer(res, proxyErrors.proxyFailed('the upstream'), awaitingContinue);
    }
  }

  #proxy(req: IncomingMessage, res: ServerResponse, awaitingContinue: boolean): void {
    const started = performance.now();
    const method = req.method ?? 'GET';
    const target = parseRequestTarget(method, req.url ?? '/', HTTP1_TARGETS);
    if ('error' in target) {
      answer(res, proxyErrors.badRequest(target.error), awaitingContinue);
      return;
    }
    if (target.kind === 'asterisk') {
      // `OPTIONS *` asks about the server, which here is the proxy: it answers, no backend is involved.
      const head: Record<string, string> = { allow: OPTIONS_ANSWER_ALLOW, 'content-length': '0' };
      if (awaitingContinue) head.connection = 'close';
      res.writeHead(200, head).end();
      return;
    }
    const span = this.#ctx.policy.tracer?.start(method, req.headers.traceparent);
    span?.set('http.request.method', method);
    const ip = clientIp(req);
    const resolved = this.#resolve(req, method, target.pathAndQuery, target.authority, ip);
    if ('error' in resolved) {
      const { error, labels } = resolved;
      if (labels !== undefined) {
        const seconds = (performance.now() - started) / 1000;
        this.#ctx.metrics.httpRequest(labels, method, error.status, seconds);
        this.#ctx.metrics.proxyError(labels, error.code);
        if (span !== undefined) annotateRoute(span, labels, {});
      }
      if (span !== undefined) endRequestSpan(span, error.status, errorKind(error.code), 1);
      answer(res, error, awaitingContinue);
      return;
    }
    const { backend, endpoint, labels } = resolved;
    if (span !== undefined) {
      annotateRoute(span, labels, {
        backend: `${backend.service.namespace}/${backend.service.name}`,
        endpoint: endpoint.key,
        allowedBy: resolved.allowedBy,
      });
    }
    const response = new CallerResponse(res, this.#ctx, {
      labels,
      method,
      endpoint,
      mesh: resolved.mesh,
      span,
      started,
    });
    // Admitted: now the caller may send its body (undici cannot pass `Expect` on, so the proxy answers it).
    if (awaitingContinue) res.writeContinue();
    const hasBody =
      req.headers['content-length'] !== undefined || req.headers['transfer-encoding'] !== undefined;
    const length = Number(req.headers['content-length']);
    exchange(
      this.#ctx,
      this.#pools,
      resolved,
      {
        method,
        path: resolved.mesh?.pathAndQuery ?? target.pathAndQuery,
        headers: planRequestHeaders(
          forwardRequestHeaders(req.headers, ip, { host: target.authority }),
          resolved.mesh,
        ),
        body: hasBody ? req : undefined,
        contentLength: Number.isSafeInteger(length) ? length : undefined,
        span,
      },
      response,
    );
  }

  #resolve(
    req: IncomingMessage,
    method: string,
    path: string,
    authority: string | undefined,
    ip: string | undefined,
  ): ResolvedRequest | UnroutableRequest {
    return resolveRequest(this.#ctx, this.logicalPort, {
      host: authority ?? req.headers.host,
      method,
      path,
      headers: req.headers,
      clientIp: ip,
    });
  }

  /** Counts a response in flight on its connection until it closes. */
  #track(socket: Duplex, res: ServerResponse): void {
    let inFlight = this.#inFlight.get(socket);
    if (inFlight === undefined) {
      inFlight = new InFlight();
      this.#inFlight.set(socket, inFlight);
    }
    inFlight.add(res);
  }

  /** Resolves once no response is in flight on the connection. */
  #idle(socket: Duplex): Promise<void> {
    return this.#inFlight.get(socket)?.idle() ?? Promise.resolve();
  }

  /**
   * A request node:http reports as an upgrade (it has `Connection: upgrade` and `Upgrade`). After the responses
   * before it on the connection: a WebSocket upgrade is admitted like any request, then tunnelled (once the
   * backend agrees); any other goes back to the HTTP server without its upgrade headers (upgrade-rules.ts).
   */
  async #upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const onError = () => socket.destroy();
    socket.on('error', onError);
    await this.#idle(socket);
    if (socket.destroyed) return;
    const method = req.method ?? 'GET';
    if (upgradeKind(method, req.httpVersion, req.headers) === 'plain') {
      socket.off('error', onError);
      const plain = headWithoutUpgrade(method, req.url ?? '/', req.httpVersion, req.rawHeaders);
      socket.unshift(Buffer.concat([Buffer.from(plain, 'latin1'), head]));
      this.#http1?.(socket);
      return;
    }
    const started = performance.now();
    const target = parseRequestTarget(method, req.url ?? '/', HTTP1_TARGETS);
    if ('error' in target || target.kind === 'asterisk') {
      const message = 'error' in target ? target.error : 'no upgrade for *';
      endAndLinger(socket, rawErrorResponse(proxyErrors.badRequest(message)));
      return;
    }
    const ip = clientIp(req);
    const resolved = this.#resolve(req, method, target.pathAndQuery, target.authority, ip);
    if ('error' in resolved) {
      const { error, labels } = resolved;
      if (labels !== undefined) {
        this.#ctx.metrics.httpRequest(labels, method, error.status, (performance.now() - started) / 1000);
        this.#ctx.metrics.proxyError(labels, error.code);
      }
      endAndLinger(socket, rawErrorResponse(error));
      return;
    }
    const { labels, endpoint, backend } = resolved;
    const decision = this.#ctx.tunnels.decide(backend.mtlsMode, endpoint, labels.caller);
    if (decision.kind === 'unavailable') {
      const error = proxyErrors.mtlsUnavailable(
        `${backend.service.name}.${backend.service.namespace}`,
        decision.reason,
      );
      this.#ctx.balancer.release(endpoint);
      this.#ctx.metrics.httpRequest(labels, method, error.status, (performance.now() - started) / 1000);
      this.#ctx.metrics.proxyError(labels, error.code);
      endAndLinger(socket, rawErrorResponse(error));
      return;
    }
    const meshCalls = this.#ctx.metrics.meshCalls(backend.service);
    if (decision.kind === 'fallback') meshCalls.fallback(decision.reason);
    if (decision.kind !== 'mtls')
      meshCalls[decision.kind === 'fallback' ? 'plaintext' : decision.kind].value++;
    const { caller } = labels;
    const tunnels = this.#ctx.tunnels;
    this.#upgrades.add(socket);
    openTunnel(
      socket,
      head,
      {
        resolved,
        path: target.pathAndQuery,
        headers: forwardRequestHeaders(req.headers, ip, { host: target.authority }),
        answerTimeoutMs: this.#options.headersTimeoutMs,
        maxHeaderBytes: this.#options.maxHeaderBytes,
        ...(decision.kind === 'mtls' && caller !== undefined
          ? { via: () => tunnelOrFallback(tunnels, caller, endpoint, backend.mtlsMode, meshCalls) }
          : {}),
      },
      {
        answered: (status, error) => {
          this.#ctx.metrics.httpRequest(labels, method, status, (performance.now() - started) / 1000);
          if (error !== undefined) this.#ctx.metrics.proxyError(labels, error.code);
        },
        opened: (close) =>
          this.#tunnels.add(
            {
              protocol: 'websocket',
              listenerPort: this.logicalPort,
              host: target.authority ?? req.headers.host ?? '',
              request: { method, path: target.pathAndQuery, headers: req.headers },
              backend: backend.service,
              endpointKey: endpoint.key,
              caller: labels.caller,
              route: resolved.route,
              access: resolved.snapshot.access,
            },
            labels,
            close,
          ),
        finished: () => {
          this.#upgrades.delete(socket);
          this.#ctx.balancer.release(endpoint);
        },
      },
    );
  }
}

function clientIp(req: IncomingMessage): string | undefined {
  const address = req.socket.remoteAddress;
  return address === undefined ? undefined : normaliseIp(address);
}

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

/**
 * The connection of a WebSocket upgrade to a pod on another node: a tunnel stream, or, in permissive mode when
 * the tunnel cannot be brought up, a TCP connection straight to the pod (nothing was sent yet). Counted here,
 * by what it turned out to be.
 */
async function tunnelOrFallback(
  tunnels: TunnelRouter,
  caller: Caller,
  endpoint: Endpoint,
  mode: MtlsMode,
  meshCalls: MeshCallMeters,
): Promise<Duplex> {
  try {
    const stream = await tunnels.open(caller, endpoint);
    meshCalls.mtls.value++;
    return stream;
  } catch (error) {
    if (mode !== 'permissive' || !fallsBack(error)) throw error;
    meshCalls.fallback('tunnel_failed');
    meshCalls.plaintext.value++;
    const socket = connectTcp({ host: endpoint.address, port: endpoint.port });
    await once(socket, 'connect');
    return socket;
  }
}
