/** `/healthz`, `/readyz` and `/metrics` on one small HTTP server. Anything else is 404; only GET and HEAD. */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

export interface AdminServerOptions {
  readonly host: string;
  readonly port: number;
  readonly registry: Registry;
  /** Metrics kept outside prom-client (the DNS server's cells), appended to its text. */
  readonly more?: readonly { metrics(): Promise<string> }[];
  /** Reasons the process is not ready; empty when it is. */
  readonly notReady: () => readonly string[];
}

export interface AdminServer {
  readonly host: string;
  readonly port: number;
  stop(): Promise<void>;
}

export async function startAdminServer(options: AdminServerOptions): Promise<AdminServer> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('method not allowed\n');
      return;
    }
    if (path === '/healthz') {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
    } else if (path === '/readyz') {
      const reasons = options.notReady();
      if (reasons.length === 0) res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
      else res.writeHead(503, { 'content-type': 'text/plain' }).end(`not ready: ${reasons.join('; ')}\n`);
    } else if (path === '/metrics') {
      Promise.all([options.registry.metrics(), ...(options.more ?? []).map((r) => r.metrics())]).then(
        (texts) => res.writeHead(200, { 'content-type': options.registry.contentType }).end(texts.join('\n')),
        (error: unknown) =>
          res.writeHead(500, { 'content-type': 'text/plain' }).end(`metrics failed: ${String(error)}\n`),
      );
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
    }
  });
  server.keepAliveTimeout = 5_000;
  server.headersTimeout = 10_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    host: options.host,
    port,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
