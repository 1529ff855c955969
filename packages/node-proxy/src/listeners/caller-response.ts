/**
 * The response to the caller of one proxied HTTP/1.1 request (caller-end.ts has what both protocols share):
 * the head as a flat list in the upstream's spelling, the first chunk held so a one-read body leaves with the
 * head in one write, and a destroyed socket when the upstream body breaks off.
 */
import type { ServerResponse } from 'node:http';
import { planResponseHeaders } from '../filters/apply-plan.js';
import type { MeshPlan } from '../routing/decide-rule.js';
import { CallerEnd } from './caller-end.js';
import { headersToObject, type RawHeaders } from './forward.js';
import { responseHeaderList, withoutHopByHop } from './forward-headers.js';
import type { ProxyError } from './http-errors.js';

export class CallerResponse extends CallerEnd<ServerResponse> {
  #bodyStarted = false;
  #held: Buffer | undefined;

  protected gone(): boolean {
    return this.res.destroyed;
  }

  protected writeHead(statusCode: number, rawHeaders: RawHeaders): void {
    this.res.writeHead(statusCode, responseHead(rawHeaders, this.request.mesh));
  }

  protected answer(error: ProxyError): void {
    answer(this.res, error, false);
  }

  protected cut(): void {
    this.#held = undefined;
    this.res.destroy();
  }

  /**
   * The first chunk is held until the end or until undici's read is over (a microtask): a body that came in one
   * read (most) goes out with the head in one `end(chunk)`, which writes once, rather than through `write`,
   * which corks the socket and uncorks it on the next tick.
   */
  override data(chunk: Buffer): boolean {
    if (!this.#bodyStarted) {
      this.#bodyStarted = true;
      this.#held = chunk;
      queueMicrotask(this.#flush);
      return true;
    }
    this.#flush();
    return this.write(chunk);
  }

  end(): void {
    this.control = undefined;
    const held = this.#held;
    this.#held = undefined;
    if (held === undefined) this.res.end();
    else this.res.end(held);
  }

  /** Writes the held chunk (its back-pressure is felt by the next chunk: one chunk more may be buffered). */
  readonly #flush = (): void => {
    const held = this.#held;
    if (held === undefined) return;
    this.#held = undefined;
    this.write(held);
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
