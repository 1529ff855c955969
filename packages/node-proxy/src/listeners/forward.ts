/**
 * One request to an upstream through an undici dispatcher, its response handed to a sink as undici parses it:
 * the head once, then the chunks, then the end (or a failure). No promise, no stream in between: the HTTP/1.1
 * side writes each piece straight into the caller's response, as undici's own `stream()` does. undici's
 * `request()` would also lose HTTP/2 trailers (7.30: it parses node's trailer object as a raw header list,
 * which yields nothing), and gRPC carries its status there; `dispatch` receives them as they come: a raw list
 * over HTTP/1.1, an object over HTTP/2.
 */
import type { Dispatcher } from 'undici';

export type RawHeaders =
  | readonly (Buffer | string | string[])[]
  | Readonly<Record<string, unknown>>
  | null
  | undefined;

/** What a sink may do with the upstream response it was handed. */
export interface UpstreamControl {
  /** The sink can take more after a `data` that returned false. */
  resume(): void;
  /** Stops the upstream request (a no-op once the response ended). */
  abort(err?: Error): void;
}

/** Where an upstream response goes. Exactly one of `head` or `fail` comes first; after `head`, `end` or `fail`. */
export interface ResponseSink {
  /** The response head (1xx skipped). */
  head(statusCode: number, rawHeaders: RawHeaders, control: UpstreamControl): void;
  /** A chunk of the body; false pauses the upstream until `control.resume()`. */
  data(chunk: Buffer): boolean;
  end(trailers: RawHeaders): void;
  /** No response came (before `head`), or the body broke off (after). */
  fail(err: Error): void;
}

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

/** Sends the request; the response goes to `sink`. */
export function forward(
  dispatcher: Dispatcher,
  options: Dispatcher.DispatchOptions,
  sink: ResponseSink,
): void {
  dispatcher.dispatch(options, new ForwardHandler(sink));
}

/** undici's handler of one request: hands each piece to the sink, and is the sink's control. */
class ForwardHandler implements Dispatcher.DispatchHandler, UpstreamControl {
  readonly #sink: ResponseSink;
  #abort: ((err?: Error) => void) | undefined;
  #resume: (() => void) | undefined;
  #done = false;

  constructor(sink: ResponseSink) {
    this.#sink = sink;
  }

  onConnect(abort: (err?: Error) => void): void {
    this.#abort = abort;
  }

  onHeaders(statusCode: number, rawHeaders: Buffer[], resume: () => void): boolean {
    if (statusCode < 200) return true;
    this.#resume = resume;
    this.#sink.head(statusCode, rawHeaders, this);
    return true;
  }

  onData(chunk: Buffer): boolean {
    return this.#sink.data(chunk);
  }

  onComplete(trailers: string[] | null): void {
    this.#done = true;
    this.#sink.end(trailers);
  }

  onError(err: Error): void {
    if (this.#done) return;
    this.#done = true;
    this.#sink.fail(err);
  }

  resume(): void {
    if (!this.#done) this.#resume?.();
  }

  /** The sink gave the response up: undici's error for it is not the sink's to hear. */
  abort(err?: Error): void {
    if (this.#done) return;
    this.#done = true;
    this.#abort?.(err);
  }
}
