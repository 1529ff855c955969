/**
 * A bookstore pod: answers `GET /books` with which store (and version) served the call, so a caller can see a
 * TrafficSplit at work. Env: POD_IP, PORT, STORE (e.g. bookstore-v1).
 */
import { createServer } from 'node:http';
import { portEnv, requiredEnv } from './env.js';

const host = requiredEnv('POD_IP');
const port = portEnv('PORT');
const store = requiredEnv('STORE');
let sold = 0;

const server = createServer((request, response) => {
  if (request.url === '/healthz') {
    response.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
    return;
  }
  if (request.method === 'GET' && request.url?.startsWith('/books')) {
    sold += 1;
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(`${JSON.stringify({ store, sold })}\n`);
    return;
  }
  response.writeHead(404, { 'content-type': 'text/plain' }).end(`${store}: no such page\n`);
});

server.listen(port, host, () => process.stdout.write(`${store} listening on ${host}:${port}\n`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
