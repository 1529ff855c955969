/**
 * The client side of the API-fed protocol tests: a node-proxy started against the in-memory API server, and
 * bounded clients (HTTP/1.1 with a keep-alive Agent, TCP, UDP) that report failures instead of hanging.
 */
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { type Agent, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { connect, type Socket } from 'node:net';
import type { Readable } from 'node:stream';
import { type RunningNodeProxy, seededRandom, startNodeProxy } from '../../src/index.js';
import type { Resources } from '../support.js';
import { kubeConfigFor } from './kube-fixtures.js';

/** A node-proxy for node-a following the API server at `url`, every listener on a free loopback port. */
export async function startMeshProxy(resources: Resources, url: string, seed = 7): Promise<RunningNodeProxy> {
  const proxy = await startNodeProxy({
    kubeConfig: kubeConfigFor(url),
    nodeName: 'node-a',
    listenHost: '127.0.0.1',
    adminHost: '127.0.0.1',
    adminPort: 0,
    proxy: { bindPort: () => 0, random: seededRandom(seed), drainMs: 500 },
    syncMinIntervalMs: 20,
    informerBackoff: () => 50,
    crdProbeIntervalMs: 100,
  });
  resources.add(proxy, (p) => p.stop());
  await withTimeout(proxy.synced, 10_000, 'the first sync');
  return proxy;
}

export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

export interface HttpAnswer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
  /** The client socket the request went out on (to see keep-alive reuse). */
  readonly socket: Socket;
}

/** One HTTP/1.1 request through `agent`, failing after `timeoutMs`. */
export function send(
  agent: Agent,
  port: number,
  host: string,
  path: string,
  opts: { method?: string; body?: Buffer | Readable; timeoutMs?: number } = {},
): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({
      host: '127.0.0.1',
      port,
      agent,
      path,
      method: opts.method ?? (opts.body === undefined ? 'GET' : 'POST'),
      headers: { host },
      signal: AbortSignal.timeout(opts.timeoutMs ?? 10_000),
    });
    req.on('error', reject);
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (d: Buffer) => chunks.push(d));
      res.on('error', reject);
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks),
          socket: req.socket as Socket,
        }),
      );
    });
    if (opts.body === undefined) req.end();
    else if (Buffer.isBuffer(opts.body)) req.end(opts.body);
    else opts.body.pipe(req);
  });
}

/**
 * Opens a TCP connection, sends `payload`, half-closes, and collects everything until the other side closes
 * (the echo backend answers the half-close with "bye"). Bounded by `timeoutMs`.
 */
export function tcpRoundTrip(port: number, payload: Buffer, timeoutMs = 5_000): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, allowHalfOpen: true });
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`TCP: no close within ${timeoutMs} ms after ${Buffer.concat(chunks).length} bytes`));
    }, timeoutMs);
    socket.on('data', (d: Buffer) => chunks.push(d));
    socket.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    socket.on('end', () => socket.end());
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks));
    });
    socket.end(payload);
  });
}

/** A UDP client on one socket (one proxy session) that sends a datagram and waits for one reply. */
export class UdpClient {
  readonly #socket: UdpSocket = createSocket('udp4');
  readonly #waiting: ((data: Buffer) => void)[] = [];

  constructor(readonly port: number) {
    this.#socket.on('message', (data) => this.#waiting.shift()?.(data));
    this.#socket.on('error', () => undefined);
  }

  exchange(message: Buffer | string, timeoutMs = 2_000): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiting.splice(this.#waiting.indexOf(onReply), 1);
        reject(new Error(`UDP: no reply within ${timeoutMs} ms`));
      }, timeoutMs);
      const onReply = (data: Buffer) => {
        clearTimeout(timer);
        resolve(data);
      };
      this.#waiting.push(onReply);
      this.#socket.send(message, this.port, '127.0.0.1');
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.#socket.close(() => resolve()));
  }
}
