/**
 * Forward with a whole-request timeout, retries and a circuit breaker, as a wrapper around the sink of the
 * response (as undici's own retry handler wraps a handler): each attempt goes through the Service's breaker
 * (an upstream 5xx or a failed connection counts against it; a failure of the caller's request or of the proxy
 * itself does not, and is not retried: failure-origin.ts), gets a per-try timeout (capped by what is left of
 * the request timeout) and, when it fails in a way that is safe to repeat and the retry budget allows, is tried
 * again on a freshly picked endpoint. The response that is kept goes on to the outer sink as it comes. Timeouts
 * bound the wait for the response head: a body streams on after it (bounded by the upstream body timeout
 * between chunks). No promise per attempt: the decisions are made in undici's callbacks.
 */
import type { RetryConfig } from '@nodemesh/smi-types';
import type { Dispatcher } from 'undici';
import type { RawHeaders, ResponseSink, UpstreamControl } from '../listeners/forward.js';
import type { Endpoint } from '../snapshot/snapshot.js';
import type { RequestBody } from './buffered-body.js';
import { CircuitOpenError, type ServiceBreaker } from './circuit-breakers.js';
import { failureOrigin, NotUpstreamError } from './failure-origin.js';
import type { RetryBudget } from './retry-budget.js';
import { errorCode, isIdempotent, isRetryableError, isRetryableStatus } from './retry-policy.js';
import { type WatchedBody, watchBody } from './watched-body.js';

/** The whole-request timeout ran out (before any response head came). */
export class RequestTimeoutError extends Error {
  readonly code = 'NM_REQUEST_TIMEOUT';
  constructor() {
    super('request timeout');
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
  readonly retryStatuses?: ReadonlySet<number> | undefined;
}

export interface AttemptTools {
  /** The first attempt's endpoint (already counted busy by the caller). */
  readonly firstEndpoint: Endpoint;
  /** Another endpoint for a retry, counted busy; `release` frees it. */
  pick(): Endpoint | undefined;
  release(endpoint: Endpoint): void;
  dispatcher(endpoint: Endpoint): Dispatcher;
  send(dispatcher: Dispatcher, options: Dispatcher.DispatchOptions, sink: ResponseSink): void;
  onRetry(outcome: 'attempted' | 'budget_exhausted'): void;
}

/** The outer sink also learns how many attempts were made before the response (or the failure) it gets. */
export interface ResilientSink extends ResponseSink {
  attempts(count: number): void;
}

/**
 * Sends the request, retrying as the request allows; the response kept, or the last failure (typed:
 * CircuitOpenError, RequestTimeoutError, NotUpstreamError, or the upstream's error), goes to `sink`.
 */
export function resilientForward(request: ResilientRequest, tools: AttemptTools, sink: ResilientSink): void {
  new ResilientExchange(request, tools, sink).attempt();
}

/** One request's attempts; each attempt's response comes back through `AttemptSink`. */
class ResilientExchange {
  readonly #request: ResilientRequest;
  readonly #tools: AttemptTools;
  readonly #sink: ResilientSink;
  readonly #deadline: number | undefined;
  readonly #maxAttempts: number;
  readonly #watched: WatchedBody | undefined;
  readonly #body: Buffer | WatchedBody['stream'] | undefined;
  #attempt = 0;

  constructor(request: ResilientRequest, tools: AttemptTools, sink: ResilientSink) {
    this.#request = request;
    this.#tools = tools;
    this.#sink = sink;
    this.#deadline = request.timeoutMs === undefined ? undefined : performance.now() + request.timeoutMs;
    const replayable = request.body.kind !== 'stream';
    this.#maxAttempts = replayable ? 1 + (request.retry?.attempts ?? 0) : 1;
    request.budget?.request();
    this.#watched = request.body.kind === 'stream' ? watchBody(request.body.stream) : undefined;
    this.#body =
      request.body.kind === 'none'
        ? undefined
        : request.body.kind === 'buffered'
          ? request.body.bytes
          : this.#watched?.stream;
  }

  /** The next attempt, or the failure that ends the request. */
  attempt(): void {
    const attempt = ++this.#attempt;
    const { breaker, retry } = this.#request;
    // A retry's endpoint is counted busy by `pick` (even when it is the first one again) until it answers.
    const picked = attempt === 1 ? undefined : this.#tools.pick();
    const endpoint = picked ?? this.#tools.firstEndpoint;
    const remaining = this.#deadline === undefined ? undefined : this.#deadline - performance.now();
    if (remaining !== undefined && remaining <= 0) {
      if (picked !== undefined) this.#tools.release(picked);
      this.#fail(new RequestTimeoutError());
      return;
    }
    if (breaker !== undefined && !breaker.tryAcquire()) {
      if (picked !== undefined) this.#tools.release(picked);
      this.#fail(new CircuitOpenError(breaker.serviceKey));
      return;
    }
    const perTry = minDefined(retry?.perTryTimeoutMs, remaining);
    // This try's timeout is the rest of the request's: when it fires, the request has run out of time.
    const lastChance = remaining !== undefined && (retry === undefined || remaining <= retry.perTryTimeoutMs);
    const options: Dispatcher.DispatchOptions = {
      method: this.#request.method as Dispatcher.HttpMethod,
      path: this.#request.path,
      headers: this.#request.headers,
      body: this.#body,
    };
    if (perTry !== undefined) options.headersTimeout = Math.max(1, Math.ceil(perTry));
    const sink = new AttemptSink(this, picked, lastChance);
    try {
      this.#tools.send(this.#tools.dispatcher(endpoint), options, sink);
    } catch (err) {
      sink.fail(err instanceof Error ? err : new Error(String(err)));
    }
  }

  /** An attempt's response head: kept and passed on, or (a retryable 5xx) dropped for another attempt. */
  head(attempt: AttemptSink, statusCode: number, rawHeaders: RawHeaders, control: UpstreamControl): boolean {
    const { breaker, method, retryStatuses } = this.#request;
    if (statusCode >= 500) {
      breaker?.failed();
      const retryable = retryStatuses?.has(statusCode) ?? isRetryableStatus(statusCode);
      if (isIdempotent(method) && retryable && this.#mayRetry()) {
        control.abort();
        attempt.done();
        this.#retry();
        return false;
      }
    } else breaker?.succeeded();
    attempt.done();
    this.#sink.attempts(this.#attempt);
    this.#sink.head(statusCode, rawHeaders, control);
    return true;
  }

  /** An attempt that brought no response head. */
  failed(attempt: AttemptSink, err: Error, lastChance: boolean): void {
    attempt.done();
    const { breaker, method } = this.#request;
    const origin = failureOrigin(err, this.#watched?.callerFailed() ?? false);
    if (origin !== 'upstream') {
      // Neither a success nor a failure of the upstream: the breaker only gives the call back.
      breaker?.abandoned();
      this.#fail(new NotUpstreamError(origin, err));
      return;
    }
    breaker?.failed();
    const timedOut = errorCode(err) === 'UND_ERR_HEADERS_TIMEOUT';
    if (timedOut && lastChance) {
      this.#fail(new RequestTimeoutError());
      return;
    }
    const retryable = timedOut ? isIdempotent(method) : isRetryableError(err, method);
    if (retryable && this.#mayRetry()) this.#retry();
    else this.#fail(err);
  }

  get sink(): ResilientSink {
    return this.#sink;
  }

  release(endpoint: Endpoint): void {
    this.#tools.release(endpoint);
  }

  /** The next attempt, once undici's callback that decided it has returned (never dispatched from inside it). */
  #retry(): void {
    queueMicrotask(() => this.attempt());
  }

  #mayRetry(): boolean {
    if (this.#attempt >= this.#maxAttempts) return false;
    if (this.#deadline !== undefined && performance.now() >= this.#deadline) return false;
    const { budget } = this.#request;
    if (budget !== undefined && !budget.tryRetry()) {
      this.#tools.onRetry('budget_exhausted');
      return false;
    }
    this.#tools.onRetry('attempted');
    return true;
  }

  #fail(err: Error): void {
    this.#sink.attempts(this.#attempt);
    this.#sink.fail(err);
  }
}

/** The sink of one attempt: its head and failure go to the exchange to decide; the kept body passes through. */
class AttemptSink implements ResponseSink {
  readonly #exchange: ResilientExchange;
  /** The endpoint a retry picked (counted busy until the attempt is decided). */
  #picked: Endpoint | undefined;
  readonly #lastChance: boolean;
  /** Waiting for the head; its response kept (passed on); or decided otherwise (dropped, or failed). */
  #state: 'waiting' | 'kept' | 'decided' = 'waiting';

  constructor(exchange: ResilientExchange, picked: Endpoint | undefined, lastChance: boolean) {
    this.#exchange = exchange;
    this.#picked = picked;
    this.#lastChance = lastChance;
  }

  /** The attempt is decided: the endpoint a retry picked is free again. */
  done(): void {
    const picked = this.#picked;
    this.#picked = undefined;
    if (picked !== undefined) this.#exchange.release(picked);
  }

  head(statusCode: number, rawHeaders: RawHeaders, control: UpstreamControl): void {
    if (this.#state !== 'waiting') return;
    this.#state = 'decided';
    if (this.#exchange.head(this, statusCode, rawHeaders, control)) this.#state = 'kept';
  }

  data(chunk: Buffer): boolean {
    return this.#state === 'kept' ? this.#exchange.sink.data(chunk) : true;
  }

  end(trailers: RawHeaders): void {
    if (this.#state === 'kept') this.#exchange.sink.end(trailers);
  }

  fail(err: Error): void {
    if (this.#state === 'kept') this.#exchange.sink.fail(err);
    else if (this.#state === 'waiting') {
      this.#state = 'decided';
      this.#exchange.failed(this, err, this.#lastChance);
    }
  }
}

function minDefined(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return Math.min(a, b);
}
