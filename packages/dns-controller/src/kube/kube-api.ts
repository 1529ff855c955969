/**
 * The few API calls the dns-controller writes with (contract.md, "API calls it makes"): plain JSON over
 * HTTP(S) with the KubeConfig's credentials, so objects go to the server exactly as built (no client-side
 * model that drops fields). Errors carry the HTTP status (`statusOf` reads it) and the server's message.
 */
import * as http from 'node:http';
import * as https from 'node:https';
import { isRecord, type KubeConnection } from '@nodemesh/kube-runtime';

/** An error answer of the API server. */
export class KubeApiError extends Error {
  constructor(
    readonly statusCode: number,
    readonly reason: string | undefined,
    message: string,
  ) {
    super(message);
    this.name = 'KubeApiError';
  }
}

/** What the controller needs from the API server; one implementation over HTTP, tests use the real thing. */
export interface KubeApi {
  /** The object, or undefined on 404. */
  get(path: string): Promise<unknown>;
  list(path: string, labelSelector?: string): Promise<unknown[]>;
  create(collectionPath: string, body: unknown): Promise<unknown>;
  replace(path: string, body: unknown): Promise<unknown>;
  /** A JSON merge patch (RFC 7386). */
  mergePatch(path: string, patch: unknown): Promise<unknown>;
  /** Deletes with a resourceVersion precondition when given (409 if it changed); 404 is not an error. */
  delete(path: string, resourceVersion?: string): Promise<void>;
}

const MAX_BODY_BYTES = 64 * 1024 * 1024;

export function servicePath(namespace: string, name?: string): string {
  const base = `/api/v1/namespaces/${encodeURIComponent(namespace)}/services`;
  return name === undefined ? base : `${base}/${encodeURIComponent(name)}`;
}

export function secretPath(namespace: string, name?: string): string {
  const base = `/api/v1/namespaces/${encodeURIComponent(namespace)}/secrets`;
  return name === undefined ? base : `${base}/${encodeURIComponent(name)}`;
}

export function configMapPath(namespace: string, name?: string): string {
  const base = `/api/v1/namespaces/${encodeURIComponent(namespace)}/configmaps`;
  return name === undefined ? base : `${base}/${encodeURIComponent(name)}`;
}

export function kubeApi(config: KubeConnection, timeoutMs = 30_000): KubeApi {
  const send = (method: string, path: string, body?: unknown, contentType?: string) =>
    request(config, method, path, body, timeoutMs, contentType);
  return {
    async get(path) {
      try {
        return await send('GET', path);
      } catch (error) {
        if (error instanceof KubeApiError && error.statusCode === 404) return undefined;
        throw error;
      }
    },
    async list(path, labelSelector) {
      const query = labelSelector === undefined ? '' : `?labelSelector=${encodeURIComponent(labelSelector)}`;
      const list = await send('GET', `${path}${query}`);
      if (!isRecord(list) || !Array.isArray(list.items))
        throw new Error(`list ${path}: response has no items`);
      return list.items as unknown[];
    },
    create: (collectionPath, body) => send('POST', collectionPath, body),
    replace: (path, body) => send('PUT', path, body),
    mergePatch: (path, patch) => send('PATCH', path, patch, 'application/merge-patch+json'),
    async delete(path, resourceVersion) {
      const options =
        resourceVersion === undefined
          ? undefined
          : { apiVersion: 'v1', kind: 'DeleteOptions', preconditions: { resourceVersion } };
      try {
        await send('DELETE', path, options);
      } catch (error) {
        if (error instanceof KubeApiError && error.statusCode === 404) return;
        throw error;
      }
    },
  };
}

async function request(
  config: KubeConnection,
  method: string,
  path: string,
  body: unknown,
  timeoutMs: number,
  contentType = 'application/json',
): Promise<unknown> {
  const cluster = config.getCurrentCluster();
  if (cluster === null) throw new Error('kube api: the kube config has no current cluster');
  const url = new URL(cluster.server.replace(/\/+$/, '') + path);
  const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
  const options: https.RequestOptions = {
    method,
    headers: {
      accept: 'application/json',
      ...(payload === undefined ? {} : { 'content-type': contentType, 'content-length': payload.length }),
    },
  };
  await config.applyToHTTPSOptions(options);
  const transport = url.protocol === 'https:' ? https : http;
  const { status, text } = await new Promise<{ status: number; text: string }>((resolve, reject) => {
    const req = transport.request(url, options, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_BODY_BYTES) req.destroy(new Error(`${method} ${url.pathname}: response too large`));
        else chunks.push(chunk);
      });
      res.on('error', reject);
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }),
      );
    });
    req.setTimeout(timeoutMs, () =>
      req.destroy(new Error(`${method} ${url.pathname}: timed out after ${timeoutMs} ms`)),
    );
    req.on('error', reject);
    req.end(payload);
  });
  let parsed: unknown;
  try {
    parsed = text === '' ? undefined : JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  if (status >= 200 && status < 300) return parsed;
  const reason = isRecord(parsed) && typeof parsed.reason === 'string' ? parsed.reason : undefined;
  const message =
    isRecord(parsed) && typeof parsed.message === 'string' ? parsed.message : text.slice(0, 200);
  throw new KubeApiError(status, reason, `${method} ${url.pathname}: HTTP ${status}: ${message}`);
}
