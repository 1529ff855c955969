/** When a failed attempt may be tried again (pure). */

/** Methods RFC 9110 calls idempotent: repeating them has the effect of sending them once. */
const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE', 'PUT', 'DELETE']);

export function isIdempotent(method: string): boolean {
  return IDEMPOTENT.has(method.toUpperCase());
}

/** Upstream answers that say "try elsewhere or later": retried for idempotent methods only. */
export function isRetryableStatus(status: number): boolean {
  return status === 502 || status === 503 || status === 504;
}

/** Errors raised before the request could reach the upstream: safe to retry for any method. */
const NOT_SENT = new Set([
  'ECONNREFUSED',
  'UND_ERR_CONNECT_TIMEOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EADDRNOTAVAIL',
]);

/** Whether an attempt that failed with `err` (no response) may be retried. */
export function isRetryableError(err: unknown, method: string): boolean {
  const code = errorCode(err);
  if (NOT_SENT.has(code)) return true;
  // Reset or closed mid-request: the upstream may have acted on it; only an idempotent request is repeated.
  return isIdempotent(method) && (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET' || code === 'EPIPE');
}

export function errorCode(err: unknown): string {
  if (typeof err !== 'object' || err === null) return '';
  if ('code' in err && typeof err.code === 'string') {
    // undici wraps socket errors: the cause says what happened.
    if (err.code === 'UND_ERR_SOCKET' && 'cause' in err) {
      const inner = errorCode(err.cause);
      if (inner !== '') return inner;
    }
    return err.code;
  }
  if ('cause' in err) return errorCode(err.cause);
  return '';
}
