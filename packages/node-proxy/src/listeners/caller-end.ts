/**
 * The caller's end of an exchange, for either protocol (`caller-response.ts` over HTTP/1.1,
 * `http2-caller-response.ts` over HTTP/2): it takes the outcome as undici hands it over and writes it into
 * node's response, with back-pressure both ways, or answers with the proxy's error; when the response closes
 * it stops the upstream (a caller that went away), frees the endpoint and counts the request. What differs by
 * protocol (how the head is built, how a response is cut short, trailers) is left to the subclass.
 */
import type { TrafficLabels } from '../metrics/proxy-metrics.js';
import { errorKind } from '../metrics/proxy-metrics.js';
import type { MeshPlan } from '../routing/decide-rule.js';
import type { Endpoint } from '../snapshot/snapshot.js';
import { endRequestSpan } from '../tracing/request-span.js';
import type { ActiveSpan } from '../tracing/tracer.js';
import type { RawHeaders, UpstreamControl } from './forward.js';
import { type ProxyError, proxyErrors } from './http-errors.js';
import type { ExchangeSink } from './http-exchange.js';
import type { RoutingContext } from './listener.js';

/** What the caller's end keeps of its request, to count it when the response closes. */
export interface CallerRequest {
  readonly labels: TrafficLabels;
  readonly method: string;
  readonly endpoint: Endpoint;
  /** The Gateway API rule the request took (its filters may modify response headers). */
  readonly mesh: MeshPlan | undefined;
  readonly span: ActiveSpan | undefined;
  readonly started: number;
}

/** What both node responses (HTTP/1.1 and HTTP/2) offer that the caller's end uses. */
export interface NodeResponse {
  readonly headersSent: boolean;
  readonly statusCode: number;
  write(chunk: Buffer): boolean;
  once(event: 'close' | 'drain', listener: () => void): unknown;
}

export abstract class CallerEnd<R extends NodeResponse> implements ExchangeSink {
  protected readonly res: R;
  protected readonly request: CallerRequest;
  /** The upstream response's control, from its head until its end. */
  protected control: UpstreamControl | undefined;
  readonly #ctx: RoutingContext;
  #attempts = 1;
  #outcome = 'forwarded';
  #closed = false;

  constructor(res: R, ctx: RoutingContext, request: CallerRequest) {
    this.res = res;
    this.#ctx = ctx;
    this.request = request;
    res.once('close', this.#onClose);
  }

  /** The response can no longer be written (the caller went away). */
  protected abstract gone(): boolean;
  /** Writes the head of the upstream's response; may throw when node refuses a header. */
  protected abstract writeHead(statusCode: number, rawHeaders: RawHeaders): void;
  /** The proxy's own answer, before any head went out. */
  protected abstract answer(error: ProxyError): void;
  /** Ends a response whose head went out, as broken (the caller must not take it as complete). */
  protected abstract cut(): void;
  abstract end(trailers: RawHeaders): void;

  attempts(count: number): void {
    this.#attempts = count;
  }

  refused(error: ProxyError): void {
    this.#outcome = errorKind(error.code);
    this.#ctx.metrics.proxyError(this.request.labels, error.code);
    if (this.res.headersSent) this.cut();
    else if (!this.gone()) this.answer(error);
  }

  head(statusCode: number, rawHeaders: RawHeaders, control: UpstreamControl): void {
    this.control = control;
    if (this.gone()) {
      control.abort();
      return;
    }
    try {
      this.writeHead(statusCode, rawHeaders);
    } catch {
      // node refused a header the upstream sent: the caller gets the proxy's answer instead.
      control.abort();
      this.control = undefined;
      this.refused(proxyErrors.proxyFailed('the upstream'));
    }
  }

  data(chunk: Buffer): boolean {
    return this.write(chunk);
  }

  fail(): void {
    this.control = undefined;
    this.cut();
  }

  /** Writes a chunk; false (and undici paused) until the response drains. */
  protected write(chunk: Buffer): boolean {
    if (this.res.write(chunk)) return true;
    this.res.once('drain', this.#resume);
    return false;
  }

  readonly #resume = (): void => {
    this.control?.resume();
  };

  readonly #onClose = (): void => {
    if (this.#closed) return;
    this.#closed = true;
    // A caller that went away before the end stops the upstream request.
    this.control?.abort();
    this.control = undefined;
    const { res, request } = this;
    this.#ctx.balancer.release(request.endpoint);
    this.#ctx.metrics.httpRequest(
      request.labels,
      request.method,
      res.statusCode,
      (performance.now() - request.started) / 1000,
    );
    if (request.span !== undefined) {
      endRequestSpan(request.span, res.headersSent ? res.statusCode : 0, this.#outcome, this.#attempts);
    }
  };
}
