/**
 * Forward with a whole-request timeout, retries and a circuit breaker: each attempt goes through the
 * Service's breaker (an upstream 5xx or a failed connection counts against it; a failure of the caller's
 * request or of the proxy itself does not, and is not retried: failure-origin.ts), gets a per-try timeout
 * (capped by what is left of the request timeout) and, when it fails in a way that is safe to repeat and the
 * retry budget allows, is tried again on a freshly picked endpoint. Timeouts bound the wait for the response
 * head: a body streams on after it (bounded by the upstream body timeout between chunks).
 */
import type { RetryConfig } from '@nodemesh/smi-types';
import type { Dispatcher } from 'undici';
import type { UpstreamResponse } from '../listeners/forward.js';
import type { Endpoint } from '../snapshot/snapshot.js';
import type { RequestBody } from './buffered-body.js';
import { CircuitOpenError, type ServiceBreaker } from './circuit-breakers.js';
import { failureOrigin, NotUpstreamError } from './failure-origin.js';
import type { RetryBudget } from './retry-budget.js';
import { errorCode, isIdempotent, isRetryableError, isRetryableStatus } from './retry-policy.js';
import { watchBody } from './watched-body.js';

/** The whole-request timeout ran out (before any response head came). */
export class RequestTimeoutError extends Error {
  readonly code = 'NM_REQUEST_TIMEOUT';
  constructor() {
    super('request timeout');
  }
}

/** An upstream answer that counts as a failure for the breaker; the response rides along to be sent on. */
class UpstreamStatusError extends Error {
  constructor(readonly response: UpstreamResponse) {
    super(`upstream answered ${response.statusCode}`);
  }
}

export interface ResilientRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: Record<string, string | string[]>;
  readonly body: RequestBody;
  readonly retry: RetryConfig | undefined;
  readonly timeoutMs: number | undefined;
  readonly breaker: ServiceBreaker | undefined;
  readonly budget: RetryBudget | undefined;
  /** Upstream statuses retried (idempotent methods only); default 502, 503 and 504. */
  readonly retryStatuses?: ReadonlySet<number>;
}

export interface AttemptTools {
  /** The first attempt's endpoint (already counted busy by the caller). */
  readonly firstEndpoint: Endpoint;
  /** Another endpoint for a retry, counted busy; `release` frees it. */
  pick(): Endpoint | undefined;
  release(endpoint: Endpoint): void;
  dispatcher(endpoint: Endpoint): Dispatcher;
  send(dispatcher: Dispatcher, options: Dispatcher.DispatchOptions): Promise<UpstreamResponse>;
  onRetry(outcome: 'attempted' | 'budget_exhausted'): void;
}

export interface ResilientResult {
  readonly response: UpstreamResponse;
  /** Attempts made (1 without retries). */
  readonly attempts: number;
}

export async function resilientForward(
  request: ResilientRequest,
  tools: AttemptTools,
): Promise<ResilientResult> {
  const started = performance.now();
  const deadline = request.timeoutMs === undefined ? undefined : started + request.timeoutMs;
  const replayable = request.body.kind !== 'stream';
  const maxAttempts = replayable ? 1 + (request.retry?.attempts ?? 0) : 1;
  request.budget?.request();
  const watched = request.body.kind === 'stream' ? watchBody(request.body.stream) : undefined;
  const body =
    request.body.kind === 'none'
      ? undefined
      : request.body.kind === 'buffered'
        ? request.body.bytes
        : watched?.stream;

  const mayRetry = (attempt: number): boolean => {
    if (attempt >= maxAttempts) return false;
    if (deadline !== undefined && performance.now() >= deadline) return false;
    if (request.budget !== undefined && !request.budget.tryRetry()) {
      tools.onRetry('budget_exhausted');
      return false;
    }
    tools.onRetry('attempted');
    return true;
  };

  for (let attempt = 1; ; attempt++) {
    // A retry's endpoint is counted busy by `pick` (even when it is the first one again) until it answers.
    const picked = attempt === 1 ? undefined : tools.pick();
    const endpoint = picked ?? tools.firstEndpoint;
    const remaining = deadline === undefined ? undefined : deadline - performance.now();
    if (remaining !== undefined && remaining <= 0) throw new RequestTimeoutError();
    const perTry = minDefined(request.retry?.perTryTimeoutMs, remaining);
    // This try's timeout is the rest of the request's: when it fires, the request has run out of time.
    const lastChance =
      remaining !== undefined && (request.retry === undefined || remaining <= request.retry.perTryTimeoutMs);
    /** One attempt. A failure that is not the upstream's is a NotUpstreamError (never the breaker's). */
    const send = async (): Promise<UpstreamResponse> => {
      let response: UpstreamResponse;
      try {
        response = await tools.send(tools.dispatcher(endpoint), {
          method: request.method as Dispatcher.HttpMethod,
          path: request.path,
          headers: request.headers,
          body,
          ...(perTry === undefined ? {} : { headersTimeout: Math.max(1, Math.ceil(perTry)) }),
        });
      } catch (err) {
        const origin = failureOrigin(err, watched?.callerFailed() ?? false);
        if (origin !== 'upstream') throw new NotUpstreamError(origin, err);
        throw err;
      }
      if (response.statusCode >= 500) throw new UpstreamStatusError(response);
      return response;
    };
    const { breaker } = request;
    if (breaker !== undefined && !breaker.tryAcquire()) {
      if (picked !== undefined) tools.release(picked);
      throw new CircuitOpenError(breaker.serviceKey);
    }
    try {
      const response = await send();
      breaker?.succeeded();
      return { response, attempts: attempt };
    } catch (err) {
      if (err instanceof NotUpstreamError) {
        // Neither a success nor a failure of the upstream: the breaker only gives the call back.
        breaker?.abandoned();
        throw err;
      }
      breaker?.failed();
      if (err instanceof UpstreamStatusError) {
        const { response } = err;
        const retryable =
          request.retryStatuses?.has(response.statusCode) ?? isRetryableStatus(response.statusCode);
        if (isIdempotent(request.method) && retryable && mayRetry(attempt)) {
          response.body.destroy();
          continue;
        }
        return { response, attempts: attempt };
      }
      const timedOut = errorCode(err) === 'UND_ERR_HEADERS_TIMEOUT';
      if (timedOut && lastChance) throw new RequestTimeoutError();
      const retryable = timedOut ? isIdempotent(request.method) : isRetryableError(err, request.method);
      if (retryable && mayRetry(attempt)) continue;
      throw err;
    } finally {
      if (picked !== undefined) tools.release(picked);
    }
  }
}

function minDefined(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return Math.min(a, b);
}
