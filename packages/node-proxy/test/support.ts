/** Real backends on 127.0.0.1 port 0 and a started NodeProxy, for socket tests. Everything closes in `close`. */
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createH2Server, type Http2Server } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { connect, createServer as createTcpServer, type Server as TcpServer } from 'node:net';
import { NodeProxy, type NodeProxyOptions } from '../src/index.js';

export interface Closer {
  close(): Promise<void>;
}

/** Collects things to close, closed in reverse order even when a test fails. */
export class Resources {
  readonly #closers: (() => Promise<void>)[] = [];
  add<T>(thing: T, close: (thing: T) => Promise<void>): T {
    this.#closers.push(() => close(thing));
    return thing;
  }
  async closeAll(): Promise<void> {
    for (const close of this.#closers.splice(0).reverse()) await close().catch(() => undefined);
  }
}

const closeServer = (server: Server | TcpServer | Http2Server) =>
  new Promise<void>((resolve) => {
    if ('closeAllConnections' in server) server.closeAllConnections();
    server.close(() => resolve());
  });

/**
 * An HTTP/1.1 backend named `name`: `/echo` streams the request body back, `/stream?chunks=n` sends n
 * chunks, `/big?bytes=n` sends n bytes, anything else answers JSON with its name, method, url and headers.
 */
export async function httpBackend(
  resources: Resources,
  name: string,
): Promise<{ port: number; server: Server }> {
  const server = createHttpServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname === '/echo') {
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'x-backend': name });
      req.pipe(res);
      return;
    }
    if (url.pathname === '/stream') {
      const chunks = Number(url.searchParams.get('chunks') ?? '5');
      res.writeHead(200, { 'content-type': 'text/plain', 'x-backend': name });
      let sent = 0;
      const timer = setInterval(() => {
        res.write(`chunk ${sent}\n`);
        if (++sent >= chunks) {
          clearInterval(timer);
          res.end();
        }
      }, 5);
      res.on('close', () => clearInterval(timer));
      return;
    }
    if (url.pathname === '/big') {
      const bytes = Number(url.searchParams.get('bytes') ?? '0');
      res.writeHead(200, { 'content-length': String(bytes), 'x-backend': name });
      res.end(Buffer.alloc(bytes, 'b'));
      return;
    }
    req.resume();
    req.on('end', () => {
      res.writeHead(200, {
        'content-type': 'application/json',
        'x-backend': name,
        connection: 'keep-alive, x-drop',
        'x-drop': '1',
      });
      res.end(JSON.stringify({ backend: name, method: req.method, url: req.url, headers: req.headers }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  resources.add(server, closeServer);
  return { port: (server.address() as AddressInfo).port, server };
}

/**
 * An HTTP/2 cleartext (prior knowledge) backend answering JSON with its name, protocol version, authority and
 * the request body's length, then a `grpc-status: 0` trailer, as gRPC servers do.
 */
export async function h2cBackend(resources: Resources, name: string): Promise<number> {
  const server = createH2Server((req, res) => {
    let bytes = 0;
    req.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
    });
    req.on('end', () => {
      res.setHeader('content-type', 'application/json');
      res.addTrailers({ 'grpc-status': '0' });
      res.end(
        JSON.stringify({
          backend: name,
          httpVersion: req.httpVersion,
          authority: req.headers[':authority'],
          bytes,
        }),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  resources.add(server, closeServer);
  return (server.address() as AddressInfo).port;
}

/** A TCP echo server that answers a half-close with "bye" and then closes its side too. */
export async function tcpEchoBackend(resources: Resources): Promise<number> {
  const server = createTcpServer({ allowHalfOpen: true }, (socket) => {
    socket.on('error', () => socket.destroy());
    socket.on('data', (data) => socket.write(data));
    socket.on('end', () => socket.end('bye'));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  resources.add(server, closeServer);
  return (server.address() as AddressInfo).port;
}

/** A UDP echo server that prefixes replies with its name. */
export async function udpEchoBackend(resources: Resources, name: string): Promise<number> {
  const socket = createSocket('udp4');
  socket.on('message', (data, from) =>
    socket.send(Buffer.concat([Buffer.from(`${name}:`), data]), from.port, from.address),
  );
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  resources.add(socket, (s) => new Promise<void>((resolve) => s.close(() => resolve())));
  return socket.address().port;
}

/** A NodeProxy on 127.0.0.1 with every listener and the admin server on port 0. */
export async function startProxy(resources: Resources, options: NodeProxyOptions = {}): Promise<NodeProxy> {
  const proxy = new NodeProxy({ bindPort: () => 0, adminPort: 0, drainMs: 2_000, ...options });
  resources.add(proxy, (p) => p.stop());
  await proxy.start();
  return proxy;
}

/** Sends raw bytes to a port and collects everything until the server closes (bounded by `timeoutMs`). */
export function rawExchange(port: number, bytes: string, timeoutMs = 5_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(
        new Error(`no close within ${timeoutMs} ms; got ${Buffer.concat(chunks).toString().slice(0, 200)}`),
      );
    }, timeoutMs);
    socket.on('data', (d) => chunks.push(d));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks).toString('latin1'));
    });
    socket.write(bytes);
  });
}

/** One UDP request/reply from a fresh client socket, bounded in time. */
export function udpExchange(port: number, message: string, timeoutMs = 2_000): Promise<string> {
  const client: UdpSocket = createSocket('udp4');
  return new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no UDP reply')), timeoutMs);
    client.on('message', (data) => {
      clearTimeout(timer);
      resolve(data.toString());
    });
    client.send(message, port, '127.0.0.1');
  }).finally(() => client.close());
}
