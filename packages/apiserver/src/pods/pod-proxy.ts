/**
 * The `pods/proxy` subresource: `/api/v1/namespaces/<ns>/pods/<name>[:<port>]/proxy/<path>` is forwarded to
 * the pod over plain HTTP, as kube-apiserver does through the kubelet's network (see pod-target.ts for where
 * this server connects). The status, headers and body of the pod's answer come back unchanged but for
 * hop-by-hop headers; a pod that cannot be reached is a 503 Status.
 */
import { request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { ApiError, statusObject } from '../api/api-error.js';
import type { KubeObject } from '../api/kube-object.js';
import { sendJson } from '../http/http-io.js';
import { parseProxyName, podTarget } from './pod-target.js';

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'upgrade',
  'te',
  'trailer',
]);
const TIMEOUT_MS = 30_000;

/** The path under the pod, with the query: everything after `/proxy` of the request URL, `/` at least. */
export function proxiedPath(url: URL): string {
  const marker = url.pathname.indexOf('/proxy');
  const rest = marker < 0 ? '' : url.pathname.slice(marker + '/proxy'.length);
  return `${rest === '' ? '/' : rest}${url.search}`;
}

/**
 * Serves one proxy request. `findPod` returns the Pod by name (throwing NotFound); the name segment of the
 * URL may carry a port number (`name:port`; the pod's first container port, else 80, when absent).
 */
export function proxyToPod(
  nameSegment: string,
  findPod: (name: string) => KubeObject,
  url: URL,
  req: IncomingMessage,
  res: ServerResponse,
): void {
  const { name, port } = parseProxyName(nameSegment);
  const target = podTarget(findPod(name), port);
  const headers: Record<string, string | string[]> = {};
  for (const [key, value] of Object.entries(req.headers)) {
    if (value !== undefined && !HOP_BY_HOP.has(key) && key !== 'host') headers[key] = value;
  }
  const upstream = httpRequest(
    {
      host: target.address,
      port: target.port,
      method: req.method ?? 'GET',
      path: proxiedPath(url),
      headers: { ...headers, host: `${target.address}:${target.port}` },
      timeout: TIMEOUT_MS,
    },
    (answer: IncomingMessage) => {
      const back: Record<string, string | string[]> = {};
      for (const [key, value] of Object.entries(answer.headers)) {
        if (value !== undefined && !HOP_BY_HOP.has(key)) back[key] = value;
      }
      res.writeHead(answer.statusCode ?? 502, back);
      answer.pipe(res);
      answer.on('error', () => res.destroy());
    },
  );
  upstream.on('timeout', () => upstream.destroy(new Error(`no answer within ${TIMEOUT_MS / 1000} s`)));
  upstream.on('error', (error) => {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    const problem = new ApiError(
      'ServiceUnavailable',
      `error trying to reach pod ${name} at ${target.address}:${target.port}: ${error.message}`,
    );
    sendJson(res, 503, statusObject(503, problem.reason, problem.message));
  });
  req.pipe(upstream);
}
