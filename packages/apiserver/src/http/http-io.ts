import type { IncomingMessage, ServerResponse } from 'node:http';
import { parse as parseYaml } from 'yaml';
import { ApiError, badRequest } from '../api/api-error.js';
import type { PatchType, Selection } from '../api/object-api.js';
import { decodeKubeProtobuf, PROTOBUF_MEDIA_TYPE } from '../protobuf/decode-protobuf.js';
import { parseFieldSelector } from '../selectors/field-selector.js';
import { parseLabelSelector } from '../selectors/label-selector.js';

/** Request and response plumbing of the HTTP shell: JSON replies, bounded bodies, content types. */

export function sendJson(res: ServerResponse, code: number, body: unknown): void {
  if (res.headersSent) {
    if (!res.writableEnded) res.end();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(code, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

export function sendError(res: ServerResponse, error: ApiError): void {
  if (!res.headersSent && error.details.retryAfterSeconds !== undefined) {
    res.setHeader('Retry-After', String(error.details.retryAfterSeconds));
  }
  // The rest of an oversized body is not read: close the connection rather than leave it half-read.
  if (!res.headersSent && error.code === 413) res.setHeader('Connection', 'close');
  sendJson(res, error.code, error.toStatus());
}

export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on('data', (chunk: Buffer) => {
      if (failed) return;
      size += chunk.length;
      if (size > limit) {
        failed = true;
        reject(
          new ApiError(
            'RequestEntityTooLarge',
            `the request body is larger than the limit of ${limit} bytes`,
          ),
        );
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (!failed) resolve(Buffer.concat(chunks));
    });
    req.on('error', (error) => {
      if (!failed) reject(error);
    });
  });
}

/**
 * Parses a create/update body according to its Content-Type: JSON, YAML, or Kubernetes protobuf for the few
 * kinds kubectl creates that way (`protobuf/`).
 */
export function parseObjectBody(body: Buffer, contentType: string): unknown {
  const mediaType = (contentType.split(';')[0] ?? '').trim().toLowerCase();
  if (mediaType === PROTOBUF_MEDIA_TYPE) {
    if (body.length === 0) throw badRequest('the request body is empty; expected an object');
    return decodeKubeProtobuf(body);
  }
  if (mediaType.includes('protobuf')) {
    throw new ApiError(
      'UnsupportedMediaType',
      `the body of type ${contentType} is not supported; send application/json`,
    );
  }
  const text = body.toString('utf8');
  if (text.trim() === '') throw badRequest('the request body is empty; expected an object');
  try {
    return mediaType.includes('yaml') ? parseYaml(text, { logLevel: 'error' }) : JSON.parse(text);
  } catch (error) {
    const what = mediaType.includes('yaml') ? 'YAML' : 'JSON';
    throw badRequest(
      `the request body is not valid ${what}: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}

export function patchTypeOf(contentType: string): PatchType {
  const base = (contentType.split(';')[0] ?? '').trim();
  switch (base) {
    case 'application/json-patch+json':
      return 'json';
    case 'application/merge-patch+json':
      return 'merge';
    case 'application/strategic-merge-patch+json':
      return 'strategic';
    case 'application/apply-patch+yaml':
    case 'application/apply-patch+cbor':
      if (base.endsWith('cbor')) break;
      return 'apply';
  }
  throw new ApiError(
    'UnsupportedMediaType',
    `the patch content type ${JSON.stringify(contentType)} is not supported; use application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json or application/apply-patch+yaml`,
  );
}

export function selectionOf(url: URL, namespace: string | undefined): Selection {
  const labels = parseLabelSelector(url.searchParams.get('labelSelector') ?? '');
  if (!labels.ok) throw badRequest(`unable to parse labelSelector: ${labels.error}`);
  const fields = parseFieldSelector(url.searchParams.get('fieldSelector') ?? '');
  if (!fields.ok) throw badRequest(`unable to parse fieldSelector: ${fields.error}`);
  const selection: Selection = { labels: labels.value, fields: fields.value };
  if (namespace !== undefined) selection.namespace = namespace;
  return selection;
}
