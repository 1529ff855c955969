import * as http from 'node:http';
import * as https from 'node:https';
import { ApiStatusError } from './api-errors.js';
import type { KubeConnection } from './kube-connection.js';
import { isRecord, readObjectMeta } from './object-meta.js';

export interface ListRequest {
  /** Collection path, e.g. `/api/v1/services` or `/api/v1/namespaces/demo/pods`. */
  readonly path: string;
  readonly labelSelector?: string | undefined;
  readonly fieldSelector?: string | undefined;
  /** Abort the request after this long, in milliseconds. Default 60 s. */
  readonly timeoutMs?: number;
}

export interface ListResult {
  /** Items that have at least `metadata.name`; the rest are counted in `skipped`. */
  readonly items: Record<string, unknown>[];
  readonly resourceVersion: string;
  readonly skipped: number;
}

/**
 * One LIST of a collection with the KubeConfig's credentials. The body is checked for shape: anything that is
 * not `{items: [...]}` is an error, and items without a name are skipped rather than trusted.
 */
export async function listResource(config: KubeConnection, request: ListRequest): Promise<ListResult> {
  const cluster = config.getCurrentCluster();
  if (cluster === null) throw new Error('list: the kube config has no current cluster');
  const url = new URL(cluster.server.replace(/\/+$/, '') + request.path);
  if (request.labelSelector !== undefined) url.searchParams.set('labelSelector', request.labelSelector);
  if (request.fieldSelector !== undefined) url.searchParams.set('fieldSelector', request.fieldSelector);
  const options: https.RequestOptions = { method: 'GET', headers: { accept: 'application/json' } };
  await config.applyToHTTPSOptions(options);
  const body = await get(url, options, request.timeoutMs ?? 60_000);
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw new Error(`list ${request.path}: response is not JSON`);
  }
  if (!isRecord(parsed) || !Array.isArray(parsed.items)) {
    throw new Error(`list ${request.path}: response has no items array`);
  }
  const items: Record<string, unknown>[] = [];
  let skipped = 0;
  for (const item of parsed.items as unknown[]) {
    if (readObjectMeta(item).name === undefined) skipped++;
    else items.push(item as Record<string, unknown>);
  }
  const metadata = isRecord(parsed.metadata) ? parsed.metadata : {};
  const resourceVersion = typeof metadata.resourceVersion === 'string' ? metadata.resourceVersion : '';
  return { items, resourceVersion, skipped };
}

const maxBodyBytes = 256 * 1024 * 1024;

function get(url: URL, options: https.RequestOptions, timeoutMs: number): Promise<string> {
  const transport = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = transport.request(url, options, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > maxBodyBytes) {
          req.destroy(new Error(`list ${url.pathname}: response larger than ${maxBodyBytes} bytes`));
          return;
        }
        chunks.push(chunk);
      });
      res.on('error', reject);
      res.on('end', () => {
        const status = res.statusCode ?? 0;
        if (status !== 200) {
          reject(new ApiStatusError(status, `list ${url.pathname}: HTTP ${status}`));
          return;
        }
        resolve(Buffer.concat(chunks).toString('utf8'));
      });
    });
    req.setTimeout(timeoutMs, () =>
      req.destroy(new Error(`list ${url.pathname}: timed out after ${timeoutMs} ms`)),
    );
    req.on('error', reject);
    req.end();
  });
}
