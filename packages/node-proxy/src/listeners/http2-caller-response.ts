/**
 * The response to the caller of one proxied HTTP/2 (h2c) request (caller-end.ts has what both protocols
 * share): the head as an object (HTTP/2 has no header spelling to keep), the trailers gRPC puts its status in,
 * and a stream reset when the upstream body breaks off.
 */
import type { Http2ServerResponse } from 'node:http2';
import { planResponseHeaders } from '../filters/apply-plan.js';
import { CallerEnd } from './caller-end.js';
import { headersToObject, type RawHeaders } from './forward.js';
import { withoutHopByHop } from './forward-headers.js';
import type { ProxyError } from './http-errors.js';

/** HTTP/2's INTERNAL_ERROR: the stream is reset when the upstream body breaks off. */
const INTERNAL_ERROR = 2;

export class Http2CallerResponse extends CallerEnd<Http2ServerResponse> {
  protected gone(): boolean {
    return this.res.stream.destroyed;
  }

  protected writeHead(statusCode: number, rawHeaders: RawHeaders): void {
    const headers = withoutHopByHop(headersToObject(rawHeaders), { stripMesh: true });
    this.res.writeHead(statusCode, planResponseHeaders(headers, this.request.mesh));
  }

  protected answer(error: ProxyError): void {
    answerHttp2(this.res, error);
  }

  protected cut(): void {
    this.res.stream.close(INTERNAL_ERROR);
  }

  end(trailers: RawHeaders): void {
    this.control = undefined;
    const kept = withoutHopByHop(headersToObject(trailers), { stripMesh: true });
    if (Object.keys(kept).length > 0) this.res.addTrailers(kept);
    this.res.end();
  }
}

/** The proxy's own answer over HTTP/2. */
export function answerHttp2(res: Http2ServerResponse, error: ProxyError): void {
  res.writeHead(error.status, {
    'content-type': 'text/plain; charset=utf-8',
    'x-nodemesh-error': error.code,
    ...error.headers,
  });
  res.end(`${error.message}\n`);
}
