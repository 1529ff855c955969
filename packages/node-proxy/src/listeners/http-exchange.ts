/**
 * What follows admission for one HTTP request, shared by the HTTP/1.1 and HTTP/2 sides, as the route's plan
 * (exchange-plan.ts, made once per snapshot) says: a route without retries, timeout or breaker sends the
 * request as it is; otherwise the request body (buffered when it may be retried), then breaker → timeout →
 * retries → forward (resilient-forward.ts). The response goes to the caller's side as undici hands it over
 * (an `ExchangeSink`: caller-response.ts over HTTP/1.1, http2-caller-response.ts over HTTP/2); typed failures
 * are mapped here, once, to the proxy's answer and its error-kind label.
 */
import type { Readable } from 'node:stream';
import type { Dispatcher } from 'undici';
import type { Caller } from '../metrics/caller-resolver.js';
import { bufferBody, type RequestBody } from '../resilience/buffered-body.js';
import { CircuitOpenError } from '../resilience/circuit-breakers.js';
import { failureOrigin, NotUpstreamError } from '../resilience/failure-origin.js';
import {
  type AttemptTools,
  RequestTimeoutError,
  type ResilientSink,
  resilientForward,
} from '../resilience/resilient-forward.js';
import { type WatchedBody, watchBody } from '../resilience/watched-body.js';
import type { Backend, Endpoint } from '../snapshot/snapshot.js';
import type { ActiveSpan } from '../tracing/tracer.js';
import { type CallDecision, TunnelUnavailableError } from '../tunnel/tunnel-route.js';
import type { ExchangePlan } from './exchange-plan.js';
import { forward, type RawHeaders, type ResponseSink, type UpstreamControl } from './forward.js';
import { type ProxyError, proxyErrors, upstreamError } from './http-errors.js';
import type { RoutingContext } from './listener.js';
import type { ResolvedRequest } from './resolve-request.js';
import type { UpstreamPools } from './upstream-pools.js';

export interface ExchangeRequest {
  readonly method: string;
  readonly path: string;
  /** Already rewritten for the upstream (forwardRequestHeaders). */
  readonly headers: Record<string, string | string[]>;
  readonly body: Readable | undefined;
  /** Content-Length, when the caller declared one. */
  readonly contentLength: number | undefined;
  readonly span: ActiveSpan | undefined;
}

/** The caller's side of an exchange: the response as it comes, or the proxy's answer when none does. */
export interface ExchangeSink extends ResponseSink {
  /** No response will come: the proxy answers with `error` (`fail` is only for a body that broke off). */
  refused(error: ProxyError): void;
  /** Attempts made (1 without retries), told before `head` or `refused`. */
  attempts(count: number): void;
}

/** Sends the request as the route's plan says; the outcome goes to `sink`. */
export function exchange(
  ctx: RoutingContext,
  pools: UpstreamPools,
  resolved: ResolvedRequest,
  request: ExchangeRequest,
  sink: ExchangeSink,
): void {
  const { backend, endpoint } = resolved;
  const { plan } = resolved;
  const caller = resolved.labels.caller;
  const decision = ctx.tunnels.decide(backend.mtlsMode, endpoint, caller);
  if (decision.kind === 'unavailable') {
    sink.attempts(1);
    sink.refused(proxyErrors.mtlsUnavailable(plan.backendName, decision.reason));
    return;
  }
  if (
    decision.kind === 'mtls' &&
    caller !== undefined &&
    backend.mtlsMode === 'permissive' &&
    !ctx.tunnels.isUp(caller, endpoint)
  ) {
    // Permissive, and the tunnel to that node is not up: brought up first, else plaintext, before any byte is sent.
    const send = (fallback: string | undefined) =>
      sendPlanned(ctx, pools, resolved, request, sink, plan, decision, fallback);
    ctx.tunnels
      .warm(caller, endpoint)
      .then(
        (up) => send(up ? undefined : 'tunnel_failed'),
        () => send('tunnel_failed'),
      )
      .catch(() => refuseAsProxyFault(sink, plan));
    return;
  }
  const fallback = decision.kind === 'fallback' ? decision.reason : undefined;
  sendPlanned(ctx, pools, resolved, request, sink, plan, decision, fallback);
}

/**
 * Sends the request as `plan` says, through the tunnel or not as `decision` says; `fallback`: why a call the
 * tunnel should carry goes in plaintext (permissive mode), if it does.
 */
function sendPlanned(
  ctx: RoutingContext,
  pools: UpstreamPools,
  resolved: ResolvedRequest,
  request: ExchangeRequest,
  sink: ExchangeSink,
  plan: ExchangePlan,
  decision: CallDecision,
  fallback: string | undefined,
): void {
  const { backend, endpoint } = resolved;
  const caller = resolved.labels.caller;
  const meshCalls = ctx.metrics.meshCalls(backend.service);
  if (fallback !== undefined) meshCalls.fallback(fallback);
  const tunnelled = decision.kind === 'mtls' && fallback === undefined;
  meshCalls[decision.kind === 'local' ? 'local' : tunnelled ? 'mtls' : 'plaintext'].value++;
  const headers =
    request.span === undefined
      ? request.headers
      : { ...request.headers, traceparent: request.span.traceparent };
  if (plan.direct) {
    sink.attempts(1);
    const watched = request.body === undefined ? undefined : watchBody(request.body);
    const mapped = new MappedSink(sink, plan, watched);
    try {
      const dispatcher =
        tunnelled && caller !== undefined
          ? pools.tunnelled(endpoint, backend.scheme, caller, ctx.tunnels)
          : pools.get(endpoint, backend.scheme);
      forward(
        dispatcher,
        {
          method: request.method as Dispatcher.HttpMethod,
          path: request.path,
          headers,
          body: watched?.stream,
        },
        mapped,
      );
    } catch (err) {
      mapped.fail(err instanceof Error ? err : new Error(String(err)));
    }
    return;
  }
  const tools = new PlannedAttempts(ctx, pools, plan, resolved, tunnelled);
  const mapped = new MappedSink(sink, plan, undefined);
  const resilient = (body: RequestBody) =>
    resilientForward(
      {
        method: request.method,
        path: request.path,
        headers,
        body,
        retry: plan.retry,
        timeoutMs: plan.timeoutMs,
        retryStatuses: plan.retryStatuses,
        breaker: plan.breaker,
        budget: plan.budget,
      },
      tools,
      mapped,
    );
  if (request.body === undefined) resilient(NO_REQUEST_BODY);
  else if (!plan.buffersBody) resilient({ kind: 'stream', stream: request.body });
  else {
    // Only a request that could be retried is worth holding: any method on a refused connection.
    bufferBody(request.body, ctx.policy.retryBodyLimit, request.contentLength)
      .then(resilient, () => {
        sink.attempts(1);
        sink.refused(proxyErrors.requestFailed());
      })
      .catch(() => refuseAsProxyFault(sink, plan));
  }
}

const NO_REQUEST_BODY: RequestBody = { kind: 'none' };

/** A fault of the proxy's own after an await (never an unhandled rejection): the caller still gets an answer. */
function refuseAsProxyFault(sink: ExchangeSink, plan: ExchangePlan): void {
  sink.attempts(1);
  sink.refused(proxyErrors.proxyFailed(plan.backendName));
}

/**
 * Passes the response on, and maps a failure before it to the proxy's answer: typed by the resilience wrapper,
 * or (a direct request, `watched` its body) told apart here as the caller's, the proxy's or the upstream's.
 */
class MappedSink implements ResilientSink {
  readonly #out: ExchangeSink;
  readonly #plan: ExchangePlan;
  readonly #watched: WatchedBody | undefined;
  #answered = false;

  constructor(out: ExchangeSink, plan: ExchangePlan, watched: WatchedBody | undefined) {
    this.#out = out;
    this.#plan = plan;
    this.#watched = watched;
  }

  attempts(count: number): void {
    this.#out.attempts(count);
  }

  head(statusCode: number, rawHeaders: RawHeaders, control: UpstreamControl): void {
    this.#answered = true;
    this.#out.head(statusCode, rawHeaders, control);
  }

  data(chunk: Buffer): boolean {
    return this.#out.data(chunk);
  }

  end(trailers: RawHeaders): void {
    this.#out.end(trailers);
  }

  fail(err: Error): void {
    if (this.#answered) {
      this.#out.fail(err);
      return;
    }
    this.#answered = true;
    let failure: Error = err;
    if (this.#plan.direct) {
      const origin = failureOrigin(err, this.#watched?.callerFailed() ?? false);
      if (origin !== 'upstream') failure = new NotUpstreamError(origin, err);
    }
    this.#out.refused(proxyErrorOf(failure, this.#plan));
  }
}

/** The proxy's answer for a request that got no response, by the failure's type. */
function proxyErrorOf(err: Error, plan: ExchangePlan): ProxyError {
  const name = plan.backendName;
  if (err instanceof CircuitOpenError) return proxyErrors.circuitOpen(name);
  if (err instanceof RequestTimeoutError) return proxyErrors.requestTimeout(plan.routeName);
  if (err instanceof NotUpstreamError) {
    return err.origin === 'request' ? proxyErrors.requestFailed() : proxyErrors.proxyFailed(name);
  }
  return upstreamError(err, name);
}

/** What the attempts of one planned request use: its endpoints, their dispatchers, its retry metric. */
class PlannedAttempts implements AttemptTools {
  readonly #ctx: RoutingContext;
  readonly #pools: UpstreamPools;
  readonly #plan: ExchangePlan;
  readonly #backend: Backend;
  readonly #caller: Caller | undefined;
  readonly #tunnelled: boolean;
  readonly firstEndpoint: Endpoint;

  constructor(
    ctx: RoutingContext,
    pools: UpstreamPools,
    plan: ExchangePlan,
    resolved: ResolvedRequest,
    tunnelled: boolean,
  ) {
    this.#ctx = ctx;
    this.#pools = pools;
    this.#plan = plan;
    this.#backend = resolved.backend;
    this.#caller = resolved.labels.caller;
    this.#tunnelled = tunnelled;
    this.firstEndpoint = resolved.endpoint;
  }

  pick(): Endpoint | undefined {
    return this.#ctx.balancer.pick(this.#backend.endpoints);
  }

  release(endpoint: Endpoint): void {
    this.#ctx.balancer.release(endpoint);
  }

  dispatcher(endpoint: Endpoint): Dispatcher {
    return endpoint === this.firstEndpoint && !this.#tunnelled
      ? this.#pools.get(endpoint, this.#backend.scheme)
      : dispatcherFor(this.#ctx, this.#pools, this.#backend, endpoint, this.#caller);
  }

  send(dispatcher: Dispatcher, options: Dispatcher.DispatchOptions, sink: ResponseSink): void {
    forward(dispatcher, options, sink);
  }

  onRetry(outcome: 'attempted' | 'budget_exhausted'): void {
    this.#ctx.metrics.retry(this.#plan.backendKey, outcome);
  }
}

/**
 * The dispatcher of an attempt on endpoint `e` (a retry may pick another than the first): the tunnel's for
 * that caller, or the plaintext pool's; a strict backend's endpoint the tunnel cannot reach throws the typed
 * error the mapping above turns into an answer.
 */
function dispatcherFor(
  ctx: RoutingContext,
  pools: UpstreamPools,
  backend: Backend,
  e: Endpoint,
  caller: Caller | undefined,
): Dispatcher {
  const decision = ctx.tunnels.decide(backend.mtlsMode, e, caller);
  if (decision.kind === 'unavailable') {
    throw new TunnelUnavailableError(decision.reason, 'the tunnel cannot carry this call');
  }
  return decision.kind === 'mtls' && caller !== undefined
    ? pools.tunnelled(e, backend.scheme, caller, ctx.tunnels)
    : pools.get(e, backend.scheme);
}
