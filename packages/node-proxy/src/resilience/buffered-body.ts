/**
 * Request bodies buffered so a retry can send them again, up to a limit: a larger (or unknown-length and
 * growing) body is streamed on as it comes and the request is not retried.
 */
import { Readable } from 'node:stream';

export const DEFAULT_RETRY_BODY_LIMIT = 64 * 1024;

export type RequestBody =
  | { readonly kind: 'none' }
  | { readonly kind: 'buffered'; readonly bytes: Buffer }
  | { readonly kind: 'stream'; readonly stream: Readable };

/**
 * Reads `body` while it fits in `limit` bytes. When it does not, what was read is put back in front of the
 * rest, as one stream. `declaredLength` (Content-Length) over the limit skips buffering at once.
 */
export async function bufferBody(
  body: Readable,
  limit: number,
  declaredLength: number | undefined,
): Promise<RequestBody> {
  if (declaredLength !== undefined && declaredLength > limit) return { kind: 'stream', stream: body };
  const chunks: Buffer[] = [];
  let size = 0;
  const iterator = body[Symbol.asyncIterator]();
  for (;;) {
    const next = await iterator.next();
    if (next.done === true) return { kind: 'buffered', bytes: Buffer.concat(chunks, size) };
    const chunk = Buffer.isBuffer(next.value) ? next.value : Buffer.from(String(next.value));
    chunks.push(chunk);
    size += chunk.length;
    if (size > limit) return { kind: 'stream', stream: Readable.from(resume(chunks, iterator)) };
  }
}

async function* resume(prefix: Buffer[], rest: AsyncIterator<unknown>): AsyncGenerator<Buffer> {
  yield* prefix;
  for (;;) {
    const next = await rest.next();
    if (next.done === true) return;
    yield Buffer.isBuffer(next.value) ? next.value : Buffer.from(String(next.value));
  }
}
