/**
 * What the hostile-caller tests share: backends that record every request that reaches them (the proof that a
 * smuggled one did not), raw sockets from a chosen source address, and the admin endpoints read over HTTP.
 */
import { randomBytes } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, request, type Server } from 'node:http';
import { type AddressInfo, connect, type Socket } from 'node:net';
import type { NodeProxy } from '../../src/index.js';
import type { Resources } from '../support.js';

/** A request as the backend saw it. */
export interface SeenRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly bodyBytes: number;
}

export interface RecordingBackend {
  readonly port: number;
  readonly server: Server;
  /** Every request that reached the backend, in order (upgrade requests included). */
  readonly seen: SeenRequest[];
}

/**
 * An HTTP/1.1 backend that records every request and answers JSON with what it saw. Without `websocket` it
 * ignores `Upgrade` headers (as a plain server does) and keeps parsing the connection; with it, an
 * `Upgrade: websocket` request is answered by the path: `/ws…` 101 and an echo of every byte after it,
 * `/ws-refuse` 403, `/ws-wrong` a 101 to another protocol.
 */
export async function recordingBackend(
  resources: Resources,
  options: { websocket?: boolean } = {},
): Promise<RecordingBackend> {
  const seen: SeenRequest[] = [];
  const server = createServer((req, res) => {
    let bodyBytes = 0;
    req.on('data', (chunk: Buffer) => {
      bodyBytes += chunk.length;
    });
    req.on('end', () => {
      const record = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, bodyBytes };
      seen.push(record);
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(record));
    });
  });
  if (options.websocket === true) {
    server.on('upgrade', (req, socket: Socket, head: Buffer) => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, bodyBytes: 0 });
      socket.on('error', () => socket.destroy());
      if (req.url?.startsWith('/ws-refuse') === true) {
        socket.end('HTTP/1.1 403 Forbidden\r\nContent-Length: 7\r\nConnection: close\r\n\r\nrefused');
        return;
      }
      const protocol = req.url?.startsWith('/ws-wrong') === true ? 'h2c' : 'websocket';
      socket.write(
        `HTTP/1.1 101 Switching Protocols\r\nUpgrade: ${protocol}\r\nConnection: Upgrade\r\nX-Backend: ws\r\n\r\n`,
      );
      if (head.length > 0) socket.write(head);
      socket.pipe(socket);
    });
  }
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  resources.add(
    server,
    (s) =>
      new Promise<void>((resolve) => {
        s.closeAllConnections();
        s.close(() => resolve());
      }),
  );
  return { port: (server.address() as AddressInfo).port, server, seen };
}

/** A raw connection from `from` (a 127.x address) to a loopback port, with what it has received so far. */
export interface RawConnection {
  readonly socket: Socket;
  /** Everything received, latin1. */
  received(): string;
  /** Resolves once the received text matches, or rejects after `timeoutMs`. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** Resolves with everything received once the peer has closed (rejects after `timeoutMs`). */
  closed(timeoutMs?: number): Promise<string>;
}

export function rawConnection(
  resources: Resources,
  port: number,
  from = '127.0.0.2',
): Promise<RawConnection> {
  const socket = connect({ host: '127.0.0.1', port, localAddress: from });
  resources.add(socket, async (s) => void s.destroy());
  socket.on('error', () => undefined);
  const chunks: Buffer[] = [];
  let isClosed = false;
  socket.on('data', (d: Buffer) => chunks.push(d));
  socket.on('close', () => {
    isClosed = true;
  });
  const received = () => Buffer.concat(chunks).toString('latin1');
  const poll = async (done: () => boolean, what: string, timeoutMs: number) => {
    const until = Date.now() + timeoutMs;
    while (!done()) {
      if (Date.now() > until)
        throw new Error(`${what} within ${timeoutMs} ms; got ${received().slice(0, 300)}`);
      await new Promise((r) => setTimeout(r, 10));
    }
    return received();
  };
  const connection: RawConnection = {
    socket,
    received,
    waitFor: (pattern, timeoutMs = 3_000) => poll(() => pattern.test(received()), `no ${pattern}`, timeoutMs),
    closed: (timeoutMs = 3_000) => poll(() => isClosed, 'no close', timeoutMs),
  };
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(connection));
    socket.once('error', reject);
  });
}

/** Sends raw bytes from `from` and returns everything that comes back until the proxy closes. */
export async function rawRequest(
  resources: Resources,
  port: number,
  bytes: string | Buffer,
  options: { from?: string; timeoutMs?: number } = {},
): Promise<string> {
  const connection = await rawConnection(resources, port, options.from);
  connection.socket.write(bytes);
  return connection.closed(options.timeoutMs);
}

/** The status code of the first response in raw text (0 when there is none). */
export function statusOf(raw: string): number {
  return Number(/^HTTP\/1\.[01] (\d{3})/.exec(raw)?.[1] ?? 0);
}

/** GET on the proxy's admin port; resolves with status and body, rejects after `timeoutMs`. */
export function admin(
  proxy: NodeProxy,
  path: string,
  timeoutMs = 2_000,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port: proxy.adminPort(), path, agent: false, timeout: timeoutMs },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => {
          body += d;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`admin ${path} did not answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}

/** The proxy's metrics as Prometheus text, scraped from its admin port as Prometheus would. */
export async function scrape(proxy: NodeProxy): Promise<string> {
  const { status, body } = await admin(proxy, '/metrics');
  if (status !== 200) throw new Error(`/metrics answered ${status}`);
  return body;
}

/** Open file descriptors of this process (the proxy under test runs in it). */
export function openFds(): number {
  return readdirSync('/proc/self/fd').length;
}

/** Polls `check` every 20 ms until it holds, for at most `timeoutMs`; returns whether it held. */
export async function eventually(
  check: () => boolean | Promise<boolean>,
  timeoutMs = 3_000,
): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return true;
    if (Date.now() > until) return false;
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A WebSocket-style upgrade request head (the key is random, as a browser's). */
export function upgradeHead(path: string, host = 'orders.shop.mesh', extra = ''): string {
  const key = randomBytes(16).toString('base64');
  return (
    `GET ${path} HTTP/1.1\r\nHost: ${host}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n` +
    `Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: ${key}\r\n${extra}\r\n`
  );
}
