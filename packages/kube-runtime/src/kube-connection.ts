/**
 * How to reach the API server: its URL and how to put credentials on a request. client-node's `KubeConfig`
 * has this shape, and is used where a kubeconfig file needs its auth plugins; a plain URL (local mode) and
 * a pod's service account (in cluster) are served by the small implementations here, so a process that only
 * watches never loads the Kubernetes client (about 70 MiB of a node-proxy's memory).
 */
import { readFileSync } from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import { ApiStatusError } from './api-errors.js';
import { isRecord } from './object-meta.js';

export interface KubeConnection {
  /** The API server; `server` is its URL. Null when the configuration names none. */
  getCurrentCluster(): { readonly server: string } | null;
  /** Adds the credentials (token header, client certificate, CA) to request options. */
  applyToHTTPSOptions(options: https.RequestOptions): Promise<void>;
}

/** A plain URL without credentials: the in-memory API server, `kubectl proxy`. */
export function serverConnection(server: string): KubeConnection {
  const cluster = { server };
  return {
    getCurrentCluster: () => cluster,
    applyToHTTPSOptions: async () => undefined,
  };
}

export interface InClusterFiles {
  readonly host: string;
  readonly port: string;
  readonly tokenPath: string;
  readonly caPath: string;
  /** Milliseconds since the epoch (tests). */
  readonly now?: () => number;
}

/** How long a service-account token is used before the file is read again (the kubelet rotates it). */
const TOKEN_REREAD_MS = 60_000;

/** A pod's service account: the token re-read every minute (projected tokens rotate), the cluster's CA. */
export function inClusterConnection(files: InClusterFiles): KubeConnection {
  const host = files.host.includes(':') ? `[${files.host}]` : files.host;
  const cluster = { server: `https://${host}:${files.port}` };
  const now = files.now ?? Date.now;
  let token: { value: string; readAt: number } | undefined;
  let ca: Buffer | undefined;
  return {
    getCurrentCluster: () => cluster,
    async applyToHTTPSOptions(options) {
      if (token === undefined || now() - token.readAt >= TOKEN_REREAD_MS) {
        token = { value: readFileSync(files.tokenPath, 'utf8').trim(), readAt: now() };
      }
      ca ??= readFileSync(files.caPath);
      options.ca = ca;
      options.headers = { ...options.headers, authorization: `Bearer ${token.value}` };
    },
  };
}

/** The URL of `path` on the connection's server. */
export function apiUrl(connection: KubeConnection, path: string): URL {
  const cluster = connection.getCurrentCluster();
  if (cluster === null) throw new Error('kube config: no current cluster');
  return new URL(cluster.server.replace(/\/+$/, '') + path);
}

const MAX_BODY_BYTES = 64 * 1024 * 1024;

/**
 * One JSON request with the connection's credentials; the parsed answer, or an ApiStatusError carrying the
 * HTTP status and the server's message.
 */
export async function requestJson(
  connection: KubeConnection,
  method: string,
  path: string,
  body?: unknown,
  { contentType = 'application/json', timeoutMs = 30_000 } = {},
): Promise<unknown> {
  const url = apiUrl(connection, path);
  const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
  const options: https.RequestOptions = {
    method,
    headers: {
      accept: 'application/json',
      ...(payload === undefined ? {} : { 'content-type': contentType, 'content-length': payload.length }),
    },
  };
  await connection.applyToHTTPSOptions(options);
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
  const message =
    isRecord(parsed) && typeof parsed.message === 'string' ? parsed.message : text.slice(0, 200);
  throw new ApiStatusError(status, `${method} ${url.pathname}: HTTP ${status}: ${message}`);
}
