/**
 * The body of an upstream response, between undici's dispatch handler and the one consumer that takes it: the
 * HTTP/1.1 side writes it straight into the caller's response (no stream in between), the HTTP/2 side asks for a
 * Readable. Chunks that arrive before the consumer attaches are held (the upstream paused past 64 KiB); a consumer that
 * cannot take more says so, and the upstream stays paused until it `resume`s.
 */
import { Readable } from 'node:stream';

/** Where the chunks go. `write` returns false when the sink is full: it calls `resume` once it drains. */
export interface BodySink {
  write(chunk: Buffer): boolean;
  end(): void;
  fail(err: Error): void;
}

/** What is held before the consumer attaches while the upstream keeps sending (the size of a socket read). */
const HOLD_WITHOUT_PAUSE_BYTES = 64 * 1024;

export class UpstreamBody {
  readonly #resumeUpstream: () => void;
  readonly #abortUpstream: (err?: Error) => void;
  #held: Buffer[] | undefined;
  #heldBytes = 0;
  #sink: BodySink | undefined;
  #state: 'open' | 'ended' | 'failed' = 'open';
  #error: Error | undefined;
  #paused = false;

  constructor(resume: () => void, abort: (err?: Error) => void) {
    this.#resumeUpstream = resume;
    this.#abortUpstream = abort;
  }

  /** A chunk from the upstream; false pauses it. */
  push(chunk: Buffer): boolean {
    if (this.#state !== 'open') return false;
    const sink = this.#sink;
    if (sink === undefined) {
      if (this.#held === undefined) this.#held = [chunk];
      else this.#held.push(chunk);
      this.#heldBytes += chunk.length;
      // A small body (most are) is held whole without pausing the upstream: a pause and resume of undici's
      // parser costs more than the response it carries. Past the limit the upstream waits for the consumer.
      if (this.#heldBytes <= HOLD_WITHOUT_PAUSE_BYTES) return true;
      this.#paused = true;
      return false;
    }
    if (sink.write(chunk)) return true;
    this.#paused = true;
    return false;
  }

  /** The upstream sent the whole body. */
  complete(): void {
    if (this.#state !== 'open') return;
    this.#state = 'ended';
    this.#sink?.end();
  }

  /** The upstream failed midway. */
  fail(err: Error): void {
    if (this.#state !== 'open') return;
    this.#state = 'failed';
    this.#error = err;
    this.#sink?.fail(err);
  }

  /** Attaches the consumer: what was held goes to it at once, then the rest as it comes. */
  pipeTo(sink: BodySink): void {
    if (this.#sink !== undefined) throw new Error('an upstream body has one consumer');
    this.#sink = sink;
    const held = this.#held;
    this.#held = undefined;
    let more = true;
    if (held !== undefined) for (const chunk of held) more = sink.write(chunk);
    if (this.#state === 'ended') sink.end();
    else if (this.#state === 'failed') sink.fail(this.#error ?? new Error('upstream body failed'));
    else if (more) this.resume();
  }

  /** The consumer can take more. */
  resume(): void {
    if (!this.#paused || this.#state !== 'open') return;
    this.#paused = false;
    this.#resumeUpstream();
  }

  /** The consumer went away (or the response is not wanted): the upstream request stops, unless it ended. */
  destroy(err?: Error): void {
    if (this.#state !== 'open') return;
    this.#state = 'failed';
    this.#held = undefined;
    this.#abortUpstream(err);
  }

  /** The body as a Readable, for consumers that pipe. */
  stream(): Readable {
    const readable = new Readable({
      read: () => this.resume(),
      destroy: (err, callback) => {
        this.destroy(err ?? undefined);
        callback(err);
      },
    });
    this.pipeTo({
      write: (chunk) => readable.push(chunk),
      end: () => readable.push(null),
      fail: (err) => readable.destroy(err),
    });
    return readable;
  }
}
