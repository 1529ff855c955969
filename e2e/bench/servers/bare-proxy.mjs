#!/usr/bin/env node
/**
 * The runtime's floor for an HTTP proxy: a plain node:http server passing every request to the origin
 * through one undici Pool, and the response straight back (`pool.stream` writing into the response). No
 * routing, no policy, no metrics: what any proxy in Node.js costs at least. The node-proxy is measured
 * against it on the same runtime.
 *
 * Usage: bare-proxy.mjs <origin-port>; prints `BARE {"http": port}`.
 */
import { createServer } from 'node:http';
import { Pool } from 'undici';

const origin = Number(process.argv[2]);
const pool = new Pool(`http://127.0.0.1:${origin}`, { connections: 128, pipelining: 1 });
const HOP = new Set([
  'connection',
  'keep-alive',
  'transfer-encoding',
  'upgrade',
  'te',
  'trailer',
  'proxy-connection',
]);

const server = createServer((req, res) => {
  const headers = {};
  for (const [name, value] of Object.entries(req.headers)) if (!HOP.has(name)) headers[name] = value;
  const body = req.method === 'GET' || req.method === 'HEAD' ? null : req;
  pool.stream(
    { path: req.url, method: req.method, headers, body },
    ({ statusCode, headers: upstream }) => {
      const out = {};
      for (const [name, value] of Object.entries(upstream)) if (!HOP.has(name)) out[name] = value;
      res.writeHead(statusCode, out);
      return res;
    },
    (error) => {
      if (error && !res.headersSent) res.writeHead(502).end();
      else if (error) res.destroy();
    },
  );
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`BARE ${JSON.stringify({ http: server.address().port })}\n`);
});
process.on('SIGTERM', () => process.exit(0));
