/**
 * What follows admission for one HTTP request, shared by the HTTP/1.1 and HTTP/2 sides, as the route's plan
 * (exchange-plan.ts, made once per snapshot) says: a route without retries, timeout or breaker sends the
 * request as it is; otherwise the request body (buffered when it may be retried), then breaker → timeout →
 * retries → forward. Typed failures are mapped here, once, to the proxy's answer and its error-kind label.
 */
import type { Readable } from 'node:stream';
import type { Dispatcher } from 'undici';
import type { Caller } from '../metrics/caller-resolver.js';
import type { MeshTransport } from '../metrics/proxy-metrics.js';
import type { RequestBody } from '../resilience/buffered-body.js';
import { bufferBody } from '../resilience/buffered-body.js';
import { CircuitOpenError } from '../resilience/circuit-breakers.js';
import { failureOrigin, NotUpstreamError } from '../resilience/failure-origin.js';
import { RequestTimeoutError, resilientForward } from '../resilience/resilient-forward.js';
import { watchBody } from '../resilience/watched-body.js';
import type { Backend, Endpoint } from '../snapshot/snapshot.js';
import type { ActiveSpan } from '../tracing/tracer.js';
import { TunnelUnavailableError } from '../tunnel/tunnel-route.js';
import { exchangePlan } from './exchange-plan.js';
import { forward, type UpstreamResponse } from './forward.js';
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

export type ExchangeResult =
  | { readonly response: UpstreamResponse; readonly attempts: number }
  | { readonly error: ProxyError; readonly attempts: number };

export async function exchange(
  ctx: RoutingContext,
  pools: UpstreamPools,
  resolved: ResolvedRequest,
  request: ExchangeRequest,
): Promise<ExchangeResult> {
  const { backend, endpoint } = resolved;
  const plan = exchangePlan(ctx, resolved);
  const caller = resolved.labels.caller;
  const decision = ctx.tunnels.decide(backend.mtlsMode, endpoint, caller);
  if (decision.kind === 'unavailable') {
    return { error: proxyErrors.mtlsUnavailable(plan.backendName, decision.reason), attempts: 1 };
  }
  const meshCalls = ctx.metrics.meshCalls(backend.service);
  let fallback = decision.kind === 'fallback' ? decision.reason : undefined;
  if (
    decision.kind === 'mtls' &&
    caller !== undefined &&
    backend.mtlsMode === 'permissive' &&
    !ctx.tunnels.isUp(caller, endpoint) &&
    !(await ctx.tunnels.warm(caller, endpoint))
  ) {
    // Permissive, and the tunnel to that node cannot be brought up: plaintext, before the request is sent.
    fallback = 'tunnel_failed';
  }
  if (fallback !== undefined) meshCalls.fallback(fallback);
  const tunnelled = decision.kind === 'mtls' && fallback === undefined;
  const headers =
    request.span === undefined
      ? request.headers
      : { ...request.headers, traceparent: request.span.traceparent };
  let attempts = 1;
  const transport: MeshTransport = decision.kind === 'local' ? 'local' : tunnelled ? 'mtls' : 'plaintext';
  try {
    if (plan.direct) {
      const dispatcher =
        tunnelled && caller !== undefined
          ? pools.tunnelled(endpoint, backend.scheme, caller, ctx.tunnels)
          : pools.get(endpoint, backend.scheme);
      return { response: await sendDirect(dispatcher, request, headers), attempts };
    }
    const { policy } = ctx;
    let body: RequestBody =
      request.body === undefined ? { kind: 'none' } : { kind: 'stream', stream: request.body };
    if (request.body !== undefined && plan.buffersBody) {
      // Only a request that could be retried is worth holding: any method on a refused connection.
      const stream = request.body;
      body = await bufferBody(stream, policy.retryBodyLimit, request.contentLength).catch((err: unknown) => {
        throw new NotUpstreamError('request', err);
      });
    }
    const { backendKey } = plan;
    const result = await resilientForward(
      {
        method: request.method,
        path: request.path,
        headers,
        body,
        retry: plan.retry,
        timeoutMs: plan.timeoutMs,
        ...(plan.retryStatuses === undefined ? {} : { retryStatuses: plan.retryStatuses }),
        breaker: plan.breaker,
        budget: plan.budget,
      },
      {
        firstEndpoint: endpoint,
        pick: () => ctx.balancer.pick(backend.endpoints),
        release: (e) => ctx.balancer.release(e),
        dispatcher: (e) =>
          e === endpoint && !tunnelled
            ? pools.get(e, backend.scheme)
            : dispatcherFor(ctx, pools, backend, e, caller),
        send: forward,
        onRetry: (outcome) => {
          if (outcome === 'attempted') attempts++;
          ctx.metrics.retry(backendKey, outcome);
        },
      },
    );
    return result;
  } catch (err) {
    const name = plan.backendName;
    const error =
      err instanceof CircuitOpenError
        ? proxyErrors.circuitOpen(name)
        : err instanceof RequestTimeoutError
          ? proxyErrors.requestTimeout(plan.routeName)
          : err instanceof NotUpstreamError
            ? err.origin === 'request'
              ? proxyErrors.requestFailed()
              : proxyErrors.proxyFailed(name)
            : upstreamError(err, name);
    return { error, attempts };
  } finally {
    meshCalls[transport].value++;
  }
}

/**
 * The dispatcher of an attempt on endpoint `e` (a retry may pick another than the first): the tunnel's for
 * that caller, or the plaintext pool's; a strict backend's endpoint the tunnel cannot reach throws the typed
 * error the catch above maps.
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

/**
 * A request whose route needs no resilience wrapper: one attempt, its failure told apart as the caller's,
 * the proxy's or the upstream's (failure-origin.ts) as resilientForward does.
 */
async function sendDirect(
  dispatcher: Dispatcher,
  request: ExchangeRequest,
  headers: Record<string, string | string[]>,
): Promise<UpstreamResponse> {
  const watched = request.body === undefined ? undefined : watchBody(request.body);
  try {
    return await forward(dispatcher, {
      method: request.method as Dispatcher.HttpMethod,
      path: request.path,
      headers,
      body: watched?.stream,
    });
  } catch (err) {
    const origin = failureOrigin(err, watched?.callerFailed() ?? false);
    if (origin !== 'upstream') throw new NotUpstreamError(origin, err);
    throw err;
  }
}
