/**
 * One request to an upstream through an undici dispatcher: the response head as the upstream sent it (a flat
 * list of names and values), the body for one consumer to take (upstream-body.ts) and its trailers. undici's `request()` loses HTTP/2 trailers (7.30: it parses node's trailer object as a raw header
 * list, which yields nothing), and gRPC carries its status there, so this uses `dispatch` with a handler of
 * its own, which receives the trailers as they come: a raw list over HTTP/1.1, an object over HTTP/2.
 */
import type { Dispatcher } from 'undici';
import { UpstreamBody } from './upstream-body.js';

export interface UpstreamResponse {
  readonly statusCode: number;
  /** Names and values in turn (an object when undici speaks HTTP/2 upstream): `headersToObject` reads both. */
  readonly rawHeaders: RawHeaders;
  readonly body: UpstreamBody;
  /** Filled when the body has ended. */
  readonly trailers: Record<string, string | string[]>;
}

export type RawHeaders =
  | readonly (Buffer | string | string[])[]
  | Readonly<Record<string, unknown>>
  | null
  | undefined;

/** Header lists as undici hands them (raw pairs, or an object from node:http2) to one object, lower-case names. */
export function headersToObject(raw: RawHeaders, into: Record<string, string | string[]> = {}) {
  if (raw === null || raw === undefined) return into;
  if (Array.isArray(raw)) {
    for (let i = 0; i + 1 < raw.length; i += 2) {
      const value = raw[i + 1];
      addHeader(into, String(raw[i]), Array.isArray(value) ? value.map(String) : String(value));
    }
  } else {
    for (const [name, value] of Object.entries(raw)) {
      if (typeof value === 'string') addHeader(into, name, value);
      else if (Array.isArray(value)) addHeader(into, name, value.map(String));
      else if (typeof value === 'number') addHeader(into, name, String(value));
    }
  }
  return into;
}

/** Adds one header (pseudo-headers skipped), a repeated name turning into a list. */
function addHeader(into: Record<string, string | string[]>, name: string, value: string | string[]): void {
  const key = name.toLowerCase();
  if (key.startsWith(':')) return;
  const prior = into[key];
  if (prior === undefined) into[key] = value;
  else into[key] = [...(Array.isArray(prior) ? prior : [prior]), ...(Array.isArray(value) ? value : [value])];
}

/** Sends the request; resolves at the response head (1xx skipped), rejects if none comes. */
export function forward(
  dispatcher: Dispatcher,
  options: Dispatcher.DispatchOptions,
): Promise<UpstreamResponse> {
  return new Promise((resolve, reject) => {
    let abort: ((err?: Error) => void) | undefined;
    let body: UpstreamBody | undefined;
    const trailers: Record<string, string | string[]> = {};
    const handler: Dispatcher.DispatchHandler = {
      onConnect(abortRequest) {
        abort = abortRequest;
      },
      onHeaders(statusCode, rawHeaders, resume) {
        if (statusCode < 200) return true;
        body = new UpstreamBody(resume, (err) => abort?.(err));
        resolve({ statusCode, rawHeaders: rawHeaders as RawHeaders, body, trailers });
        return true;
      },
      onData(chunk) {
        return body?.push(chunk) ?? true;
      },
      onComplete(rawTrailers) {
        headersToObject(rawTrailers as RawHeaders, trailers);
        body?.complete();
      },
      onError(err) {
        if (body === undefined) reject(err);
        else body.fail(err);
      },
    };
    dispatcher.dispatch(options, handler);
  });
}
