/**
 * The response to the caller of one proxied HTTP/1.1 request: it takes the exchange's outcome as undici hands it
 * over and writes it into node's response (the head with the first chunk, then chunk by chunk with
 * back-pressure both ways), or the proxy's answer; when the response closes it stops the upstream (a caller
 * that went away), frees the endpoint and counts the request.
 */
import type { ServerResponse } from 'node:http';
import { planResponseHeaders } from '../filters/apply-plan.js';
import type { TrafficLabels } from '../metrics/proxy-metrics.js';
import { errorKind } from '../metrics/proxy-metrics.js';
import type { MeshPlan } from '../routing/decide-rule.js';
import type { Endpoint } from '../snapshot/snapshot.js';
import { endRequestSpan } from '../tracing/request-span.js';
import type { ActiveSpan } from '../tracing/tracer.js';
import { headersToObject, type RawHeaders, type UpstreamControl } from './forward.js';
import { responseHeaderList, withoutHopByHop } from './forward-headers.js';
import { type ProxyError, proxyErrors } from './http-errors.js';
import type { ExchangeSink } from './http-exchange.js';
import type { RoutingContext } from './listener.js';

export class CallerResponse implements ExchangeSink {
  readonly #res: ServerResponse;
  readonly #ctx: RoutingContext;
  readonly #labels: TrafficLabels;
  readonly #method: string;
  readonly #endpoint: Endpoint;
  readonly #mesh: MeshPlan | undefined;
  readonly #span: ActiveSpan | undefined;
  readonly #started: number;
  #control: UpstreamControl | undefined;
  #attempts = 1;
  #outcome = 'forwarded';
  #bodyStarted = false;
  #held: Buffer | undefined;
  #closed = false;

  constructor(
    res: ServerResponse,
    ctx: RoutingContext,
    request: {
      readonly labels: TrafficLabels;
      readonly method: string;
      readonly endpoint: Endpoint;
      readonly mesh: MeshPlan | undefined;
      readonly span: ActiveSpan | undefined;
      readonly started: number;
    },
  ) {
    this.#res = res;
    this.#ctx = ctx;
    this.#labels = request.labels;
    this.#method = request.method;
    this.#endpoint = request.endpoint;
    this.#mesh = request.mesh;
    this.#span = request.span;
    this.#started = request.started;
    res.on('close', this.#onClose);
  }

  attempts(count: number): void {
    this.#attempts = count;
  }

  refused(error: ProxyError): void {
    this.#outcome = errorKind(error.code);
    this.#ctx.metrics.proxyError(this.#labels, error.code);
    const res = this.#res;
    if (res.headersSent) res.destroy();
    else if (!res.destroyed) answer(res, error, false);
  }

  head(statusCode: number, rawHeaders: RawHeaders, control: UpstreamControl): void {
    const res = this.#res;
    this.#control = control;
    if (res.destroyed) {
      control.abort();
      return;
    }
    try {
      res.writeHead(statusCode, responseHead(rawHeaders, this.#mesh));
    } catch {
      // node:http refused a header the upstream sent: the caller gets the proxy's answer instead.
      control.abort();
      this.refused(proxyErrors.proxyFailed('the upstream'));
    }
  }

  /**
   * The first chunk is held until the end or until undici's read is over (a microtask): a body that came in one
   * read (most) goes out with the head in one `end(chunk)`, which writes once, rather than through `write`,
   * which corks the socket and uncorks it on the next tick.
   */
  data(chunk: Buffer): boolean {
    if (!this.#bodyStarted) {
      this.#bodyStarted = true;
      this.#held = chunk;
      queueMicrotask(this.#flush);
      return true;
    }
    this.#flush();
    return this.#write(chunk);
  }

  end(): void {
    this.#control = undefined;
    const held = this.#held;
    this.#held = undefined;
    if (held === undefined) this.#res.end();
    else this.#res.end(held);
  }

  fail(): void {
    this.#control = undefined;
    this.#held = undefined;
    this.#res.destroy();
  }

  #write(chunk: Buffer): boolean {
    const res = this.#res;
    if (res.write(chunk)) return true;
    res.once('drain', this.#resume);
    return false;
  }

  /** Writes the held chunk (its back-pressure is felt by the next chunk: one chunk more may be buffered). */
  readonly #flush = (): void => {
    const held = this.#held;
    if (held === undefined) return;
    this.#held = undefined;
    this.#write(held);
  };

  readonly #resume = (): void => {
    this.#control?.resume();
  };

  readonly #onClose = (): void => {
    if (this.#closed) return;
    this.#closed = true;
    // A caller that went away before the end stops the upstream request.
    this.#control?.abort();
    this.#control = undefined;
    const res = this.#res;
    this.#ctx.balancer.release(this.#endpoint);
    this.#ctx.metrics.httpRequest(
      this.#labels,
      this.#method,
      res.statusCode,
      (performance.now() - this.#started) / 1000,
    );
    const span = this.#span;
    if (span !== undefined) {
      endRequestSpan(span, res.headersSent ? res.statusCode : 0, this.#outcome, this.#attempts);
    }
  };
}

/**
 * The caller's response head: a flat list straight from the upstream's, or, when a Gateway API rule may modify
 * response headers, through the header object its filters work on.
 */
function responseHead(
  raw: RawHeaders,
  mesh: MeshPlan | undefined,
): string[] | Record<string, string | string[]> {
  if (mesh === undefined && Array.isArray(raw)) return responseHeaderList(raw);
  return planResponseHeaders(withoutHopByHop(headersToObject(raw), { stripMesh: true }), mesh);
}

/**
 * The proxy's own answer. `close`: the caller was waiting for a 100 that will not come, and may send its
 * body anyway; the connection ends after the answer rather than read it as the next request.
 */
export function answer(res: ServerResponse, error: ProxyError, close: boolean): void {
  const body = `${error.message}\n`;
  const head: Record<string, string> = {
    'content-type': 'text/plain; charset=utf-8',
    'x-nodemesh-error': error.code,
    ...error.headers,
    'content-length': String(Buffer.byteLength(body)),
  };
  if (close) head.connection = 'close';
  res.writeHead(error.status, head).end(body);
}
