/**
 * The HTTP/2 side of an entrypoint, for callers speaking h2c with prior knowledge (gRPC clients): the same
 * request target rules and routing as HTTP/1.1 (`:path` in origin-form or `*`), `:authority` in place of
 * Host, `Expect: 100-continue` answered once admitted, and trailers passed back (gRPC puts its status there).
 */
import {
  createServer,
  type Http2ServerRequest,
  type Http2ServerResponse,
  type Http2Session,
} from 'node:http2';
import type { Duplex } from 'node:stream';
import { planRequestHeaders } from '../filters/apply-plan.js';
import { normaliseIp } from '../metrics/caller-resolver.js';
import { errorKind } from '../metrics/proxy-metrics.js';
import { annotateRoute, endRequestSpan } from '../tracing/request-span.js';
import { forwardRequestHeaders } from './forward-headers.js';
import { proxyErrors } from './http-errors.js';
import { exchange } from './http-exchange.js';
import { answerHttp2, Http2CallerResponse } from './http2-caller-response.js';
import type { RoutingContext } from './listener.js';
import { OPTIONS_ANSWER_ALLOW, parseRequestTarget } from './request-target.js';
import { resolveRequest } from './resolve-request.js';
import type { UpstreamPools } from './upstream-pools.js';

export class Http2Downstream {
  readonly #server;
  readonly #sessions = new Set<Http2Session>();
  readonly #addresses = new WeakMap<Http2Session, string>();
  readonly #logicalPort: number;
  readonly #ctx: RoutingContext;
  readonly #pools: UpstreamPools;
  /** Requests whose caller sent `Expect: 100-continue`: the 100 goes out once policy has admitted them. */
  readonly #awaitingContinue = new WeakSet<Http2ServerRequest>();
  #pendingAddress: string | undefined;

  constructor(logicalPort: number, ctx: RoutingContext, pools: UpstreamPools, maxHeaderBytes: number) {
    this.#logicalPort = logicalPort;
    this.#ctx = ctx;
    this.#pools = pools;
    this.#server = createServer({ settings: { maxHeaderListSize: maxHeaderBytes } });
    this.#server.on('session', (session: Http2Session) => {
      this.#sessions.add(session);
      if (this.#pendingAddress !== undefined) this.#addresses.set(session, this.#pendingAddress);
      session.on('error', () => undefined);
      session.on('close', () => this.#sessions.delete(session));
    });
    this.#server.on('request', (req: Http2ServerRequest, res: Http2ServerResponse) =>
      this.#request(req, res),
    );
    this.#server.on('checkContinue', (req: Http2ServerRequest, res: Http2ServerResponse) => {
      this.#awaitingContinue.add(req);
      this.#request(req, res);
    });
  }

  /** Takes over a connection whose preface said HTTP/2. */
  accept(stream: Duplex, remoteAddress: string | undefined): void {
    // The server creates the session synchronously inside emit, so the address lands on the right one.
    this.#pendingAddress = remoteAddress === undefined ? undefined : normaliseIp(remoteAddress);
    this.#server.emit('connection', stream);
    this.#pendingAddress = undefined;
  }

  /** Sends GOAWAY to every session (in-flight streams finish); `destroy` cuts what is left. */
  drain(): void {
    for (const session of this.#sessions) session.close();
  }

  destroy(): void {
    for (const session of this.#sessions) session.destroy();
  }

  get openSessions(): number {
    return this.#sessions.size;
  }

  /** One request; a fault of the proxy's own resets its stream rather than leave the caller hanging. */
  #request(req: Http2ServerRequest, res: Http2ServerResponse): void {
    try {
      this.#proxy(req, res);
    } catch {
      res.stream.destroy();
    }
  }

  #proxy(req: Http2ServerRequest, res: Http2ServerResponse): void {
    const started = performance.now();
    const clientIp = this.#addresses.get(req.stream.session as Http2Session);
    const headers = Object.fromEntries(Object.entries(req.headers).filter(([name]) => !name.startsWith(':')));
    const host = req.authority || req.headers.host;
    const target = parseRequestTarget(req.method, req.url ?? '', { absoluteForm: false });
    if ('error' in target) {
      answerHttp2(res, proxyErrors.badRequest(target.error));
      return;
    }
    if (target.kind === 'asterisk') {
      res.writeHead(200, { allow: OPTIONS_ANSWER_ALLOW, 'content-length': '0' });
      res.end();
      return;
    }
    const span = this.#ctx.policy.tracer?.start(req.method, req.headers.traceparent);
    span?.set('http.request.method', req.method);
    const resolved = resolveRequest(this.#ctx, this.#logicalPort, {
      host,
      method: req.method,
      path: target.pathAndQuery,
      headers: req.headers,
      clientIp,
    });
    if ('error' in resolved) {
      const { error, labels } = resolved;
      if (labels !== undefined) {
        this.#ctx.metrics.httpRequest(labels, req.method, error.status, (performance.now() - started) / 1000);
        this.#ctx.metrics.proxyError(labels, error.code);
        if (span !== undefined) annotateRoute(span, labels, {});
      }
      if (span !== undefined) endRequestSpan(span, error.status, errorKind(error.code), 1);
      answerHttp2(res, error);
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
    const response = new Http2CallerResponse(res, this.#ctx, {
      labels,
      method: req.method,
      endpoint,
      mesh: resolved.mesh,
      span,
      started,
    });
    if (this.#awaitingContinue.has(req)) res.writeContinue();
    const length = Number(req.headers['content-length']);
    exchange(
      this.#ctx,
      this.#pools,
      resolved,
      {
        method: req.method,
        path: resolved.mesh?.pathAndQuery ?? target.pathAndQuery,
        headers: planRequestHeaders(forwardRequestHeaders({ ...headers, host }, clientIp), resolved.mesh),
        body: req.stream.endAfterHeaders ? undefined : req,
        contentLength: Number.isSafeInteger(length) ? length : undefined,
        span,
      },
      response,
    );
  }
}
