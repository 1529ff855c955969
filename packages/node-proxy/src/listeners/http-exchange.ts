/**
 * What follows admission for one HTTP request, shared by the HTTP/1.1 and HTTP/2 sides: the request body
 * (buffered when it may be retried), then breaker → timeout → retries → forward. Typed failures are mapped
 * here, once, to the proxy's answer and its error-kind label.
 */
import type { Readable } from 'node:stream';
import { planResilience } from '../filters/apply-plan.js';
import type { RequestBody } from '../resilience/buffered-body.js';
import { bufferBody } from '../resilience/buffered-body.js';
import { CircuitOpenError } from '../resilience/circuit-breakers.js';
import { NotUpstreamError } from '../resilience/failure-origin.js';
import { RequestTimeoutError, resilientForward } from '../resilience/resilient-forward.js';
import { objectKey } from '../topology/inputs.js';
import type { ActiveSpan } from '../tracing/tracer.js';
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
  const { snapshot, route, backend, endpoint } = resolved;
  const rootKey = objectKey(route.service.namespace, route.service.name);
  const backendKey = objectKey(backend.service.namespace, backend.service.name);
  const rootConfig = snapshot.services.get(rootKey);
  const backendConfig = snapshot.services.get(backendKey);
  // Retries and the timeout are the contract of the Service the caller addressed; the breaker guards the
  // Service actually called (its own annotations, else the addressed Service's).
  // A Gateway API rule's timeouts and retry replace the annotations' where it sets them.
  const { retry, timeoutMs, retryStatuses } = planResilience(resolved.mesh, rootConfig);
  const breakerConfig = backendConfig?.circuitBreaker ?? rootConfig?.circuitBreaker;
  const { policy } = ctx;
  const headers =
    request.span === undefined
      ? request.headers
      : { ...request.headers, traceparent: request.span.traceparent };
  let attempts = 1;
  try {
    let body: RequestBody =
      request.body === undefined ? { kind: 'none' } : { kind: 'stream', stream: request.body };
    if (request.body !== undefined && retry !== undefined && retry.attempts > 0) {
      // Only a request that could be retried is worth holding: any method on a refused connection.
      const stream = request.body;
      body = await bufferBody(stream, policy.retryBodyLimit, request.contentLength).catch((err: unknown) => {
        throw new NotUpstreamError('request', err);
      });
    }
    const result = await resilientForward(
      {
        method: request.method,
        path: request.path,
        headers,
        body,
        retry,
        timeoutMs,
        ...(retryStatuses === undefined ? {} : { retryStatuses }),
        breaker: breakerConfig === undefined ? undefined : policy.breakers.get(backendKey, breakerConfig),
        budget: retry === undefined ? undefined : policy.retryBudgets.get(backendKey, retry),
      },
      {
        firstEndpoint: endpoint,
        pick: () => ctx.balancer.pick(backend.endpoints),
        release: (e) => ctx.balancer.release(e),
        dispatcher: (e) => pools.get(e, backend.scheme),
        send: forward,
        onRetry: (outcome) => {
          if (outcome === 'attempted') attempts++;
          ctx.metrics.retry(backendKey, outcome);
        },
      },
    );
    return result;
  } catch (err) {
    const name = `${backend.service.name}.${backend.service.namespace}`;
    const error =
      err instanceof CircuitOpenError
        ? proxyErrors.circuitOpen(name)
        : err instanceof RequestTimeoutError
          ? proxyErrors.requestTimeout(`${route.service.name}.${route.service.namespace}`)
          : err instanceof NotUpstreamError
            ? err.origin === 'request'
              ? proxyErrors.requestFailed()
              : proxyErrors.proxyFailed(name)
            : upstreamError(err, name);
    return { error, attempts };
  }
}
