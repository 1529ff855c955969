/** Failures a test can inject; also reachable over HTTP under `/_nodemesh/faults/`. */
export interface Faults {
  /** Answers the next `count` API requests with `code` (500 or 429) and a Status body. */
  failNext(count: number, code?: 500 | 429): void;
  /** Ends every open watch now; clients see the stream end and re-watch. Returns how many were open. */
  dropWatches(): number;
  /** Stops listening, then listens again on the same port, keeping the objects or starting empty. */
  restart(options?: { keepState?: boolean; downMs?: number }): Promise<void>;
}

/** Counts down injected failures; the HTTP shell asks it before serving each API request. */
export class FailureCounter {
  private remaining = 0;
  private code: 500 | 429 = 500;

  set(count: number, code: 500 | 429): void {
    if (!Number.isInteger(count) || count < 0)
      throw new RangeError(`count must be a non-negative integer, got ${count}`);
    this.remaining = count;
    this.code = code;
  }

  /** The status code to fail this request with, or undefined to serve it. */
  take(): 500 | 429 | undefined {
    if (this.remaining <= 0) return undefined;
    this.remaining -= 1;
    return this.code;
  }
}
