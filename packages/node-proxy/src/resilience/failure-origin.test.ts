import { describe, expect, it } from 'vitest';
import { failureOrigin } from './failure-origin.js';

const err = (code: string, cause?: unknown) => Object.assign(new Error(code), { code, cause });

describe('failureOrigin', () => {
  it.each([
    [err('ECONNREFUSED'), false, 'upstream'],
    [err('UND_ERR_CONNECT_TIMEOUT'), false, 'upstream'],
    [err('UND_ERR_HEADERS_TIMEOUT'), false, 'upstream'],
    [err('UND_ERR_SOCKET', err('ECONNRESET')), false, 'upstream'],
    [new Error('unknown'), false, 'upstream'],
    [err('ECONNRESET'), true, 'request'],
    [err('UND_ERR_REQ_CONTENT_LENGTH_MISMATCH'), false, 'request'],
    [err('UND_ERR_ABORTED'), false, 'request'],
    [err('UND_ERR_NOT_SUPPORTED'), false, 'proxy'],
    [err('UND_ERR_INVALID_ARG'), false, 'proxy'],
    [err('UND_ERR_CLOSED'), false, 'proxy'],
  ] as const)('%s (body failed: %s) → %s', (error, bodyFailed, origin) => {
    expect(failureOrigin(error, bodyFailed)).toBe(origin);
  });
});
