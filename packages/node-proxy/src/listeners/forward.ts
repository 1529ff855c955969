/**
 * One request to an upstream through an undici dispatcher, with the response body as a stream and its
 * trailers. undici's `request()` loses HTTP/2 trailers (7.30: it parses node's trailer object as a raw header
 * list, which yields nothing), and gRPC carries its status there, so this uses `dispatch` with a handler of
 * its own, which receives the trailers as they come: a raw list over HTTP/1.1, an object over HTTP/2.
 */
import { Readable } from 'node:stream';
import type { Dispatcher } from 'undici';

export interface UpstreamResponse {
  readonly statusCode: number;
  readonly headers: Record<string, string | string[]>;
  readonly body: Readable;
  /** Filled when the body has ended. */
  readonly trailers: Record<string, string | string[]>;
}

type RawHeaders =
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
    let body: Readable | undefined;
    const trailers: Record<string, string | string[]> = {};
    const handler: Dispatcher.DispatchHandler = {
      onConnect(abortRequest) {
        abort = abortRequest;
      },
      onHeaders(statusCode, rawHeaders, resume) {
        if (statusCode < 200) return true;
        body = new Readable({
          read: () => resume(),
          destroy: (err, callback) => {
            // The downstream went away: stop the upstream request too.
            if (!ended) abort?.(err ?? undefined);
            callback(err);
          },
        });
        resolve({ statusCode, headers: headersToObject(rawHeaders as RawHeaders), body, trailers });
        return true;
      },
      onData(chunk) {
        return body?.push(chunk) ?? true;
      },
      onComplete(rawTrailers) {
        ended = true;
        headersToObject(rawTrailers as RawHeaders, trailers);
        body?.push(null);
      },
      onError(err) {
        ended = true;
        if (body === undefined) reject(err);
        else body.destroy(err);
      },
    };
    let ended = false;
    dispatcher.dispatch(options, handler);
  });
}
