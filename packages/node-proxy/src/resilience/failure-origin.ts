/**
 * Whose fault a failed attempt is (pure). Only the upstream's failures count against its circuit breaker and
 * may be retried: a request whose body the caller cut short, or one the proxy could not send (undici refusing
 * it, a pool closed under it by a new snapshot), says nothing about the upstream's health; counting those
 * let one caller open a breaker for every caller.
 */
import { errorCode } from './retry-policy.js';

export type FailureOrigin = 'upstream' | 'request' | 'proxy';

/** undici's errors for a request it will not send, or a dispatcher that is closing: the proxy's side. */
const PROXY_CODES: ReadonlySet<string> = new Set([
  'UND_ERR_INVALID_ARG',
  'UND_ERR_NOT_SUPPORTED',
  'UND_ERR_CLOSED',
  'UND_ERR_DESTROYED',
]);

/** undici's errors for a request body that did not match what the caller declared, or was aborted. */
const REQUEST_CODES: ReadonlySet<string> = new Set([
  'UND_ERR_REQ_CONTENT_LENGTH_MISMATCH',
  'UND_ERR_ABORTED',
]);

/**
 * The origin of `err`, raised by an attempt. `requestBodyFailed`: the caller's body stream errored (it went
 * away mid-upload, or sent a malformed chunk), whatever error undici then reports (often ECONNRESET).
 */
export function failureOrigin(err: unknown, requestBodyFailed: boolean): FailureOrigin {
  if (requestBodyFailed) return 'request';
  const code = errorCode(err);
  if (PROXY_CODES.has(code)) return 'proxy';
  if (REQUEST_CODES.has(code)) return 'request';
  return 'upstream';
}

/** A failed attempt that is not the upstream's: never counted by a breaker, never retried. */
export class NotUpstreamError extends Error {
  constructor(
    readonly origin: 'request' | 'proxy',
    cause: unknown,
  ) {
    super(`the ${origin} failed`, { cause });
  }
}
