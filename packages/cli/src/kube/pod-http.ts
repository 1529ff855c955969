/**
 * Reaching a mesh pod's HTTP endpoints through the API server, never over the nodes' network:
 * - `viaPodProxy`: the pods/proxy subresource (RBAC: get pods/proxy), for /metrics and /readyz on the
 *   admin port;
 * - `viaPortForward`: the pods/portforward subresource over WebSocket (client-node's PortForward), for
 *   listeners bound to the pod's own loopback, such as the node-proxy's /debug endpoints.
 */
import { request as httpRequest } from 'node:http';
import { Duplex, PassThrough } from 'node:stream';
import { PortForward } from '@kubernetes/client-node';
import type { Cluster } from './cluster.js';

export interface PodRef {
  readonly namespace: string;
  readonly name: string;
}

export interface PodAnswer {
  readonly status: number;
  readonly text: string;
}

const MAX_BODY_BYTES = 32 * 1024 * 1024;

/** GET `path` on `port` of the pod through the API server's pod proxy. */
export function viaPodProxy(cluster: Cluster, pod: PodRef, port: number, path: string): Promise<PodAnswer> {
  const ns = encodeURIComponent(pod.namespace);
  const name = encodeURIComponent(pod.name);
  return cluster.raw('GET', `/api/v1/namespaces/${ns}/pods/${name}:${port}/proxy${path}`);
}

/** GET `path` on `port` of the pod over a port-forward WebSocket; one request, then the stream closes. */
export async function viaPortForward(
  cluster: Cluster,
  pod: PodRef,
  port: number,
  path: string,
  timeoutMs = 15_000,
): Promise<PodAnswer> {
  const input = new PassThrough();
  const output = new PassThrough();
  const errors = new PassThrough();
  let errorText = '';
  errors.on('data', (chunk: Buffer) => {
    errorText += chunk.toString('utf8');
  });
  const forward = new PortForward(cluster.kubeConfig);
  const opened = await forward.portForward(pod.namespace, pod.name, [port], output, errors, input);
  if (typeof opened === 'function') throw new Error('port-forward: no WebSocket');
  const ws = opened;
  ws.on('close', () => output.end());
  const socket = Duplex.from({ readable: output, writable: input });
  try {
    return await new Promise<PodAnswer>((resolve, reject) => {
      const fail = (message: string) =>
        reject(new Error(`port-forward to ${pod.namespace}/${pod.name}:${port}: ${message}`));
      const timer = setTimeout(() => fail(`no answer within ${timeoutMs / 1000} s`), timeoutMs);
      ws.on('close', () => {
        if (errorText !== '') fail(errorText.trim());
      });
      const req = httpRequest(
        {
          createConnection: () => socket,
          path,
          method: 'GET',
          headers: { host: `localhost:${port}`, connection: 'close', accept: 'application/json, */*' },
        },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (chunk: Buffer) => {
            size += chunk.length;
            if (size > MAX_BODY_BYTES)
              req.destroy(new Error(`the answer is larger than ${MAX_BODY_BYTES} bytes`));
            else chunks.push(chunk);
          });
          res.on('end', () => {
            clearTimeout(timer);
            resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') });
          });
          res.on('error', (error) => fail(error.message));
        },
      );
      req.on('error', (error) => {
        clearTimeout(timer);
        fail(errorText !== '' ? errorText.trim() : error.message);
      });
      req.end();
    });
  } finally {
    ws.close();
  }
}
