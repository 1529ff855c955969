/**
 * A streamed request body with a record of whether the caller broke it. undici destroys the body it was
 * given whenever a request fails, so the body's own state cannot say who failed first; it reads from this
 * pass-through instead, which fails only when the caller's stream did (cut short, reset, malformed).
 */
import { finished, PassThrough, type Readable } from 'node:stream';

export interface WatchedBody {
  /** What to send upstream. */
  readonly stream: Readable;
  /** Whether the caller's stream failed before the upstream request gave up on it. */
  callerFailed(): boolean;
}

export function watchBody(source: Readable): WatchedBody {
  const tap = new PassThrough();
  let failed = false;
  finished(source, { writable: false }, (err) => {
    // Ended whole, or failed after the request had already given up on it (then it is not why it failed).
    if (err === undefined || err === null || tap.destroyed) return;
    failed = true;
    tap.destroy(err);
  });
  source.pipe(tap);
  return { stream: tap, callerFailed: () => failed };
}
