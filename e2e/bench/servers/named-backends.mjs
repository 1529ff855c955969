#!/usr/bin/env node
/**
 * The backends of the convergence section: two HTTP servers on loopback, each answering every request with
 * its own name (`v1`, `v2`) in the body and in `x-backend`, so the prober sees which one the proxy picked.
 * Ports chosen by the kernel; prints one JSON line with them. Stops on SIGTERM.
 */
import { createServer } from 'node:http';

const listen = (name) =>
  new Promise((resolve) => {
    const server = createServer((request, response) => {
      request.resume();
      response.writeHead(200, { 'content-type': 'text/plain', 'x-backend': name });
      response.end(name);
    });
    server.keepAliveTimeout = 30_000;
    server.listen(0, '127.0.0.1', 1024, () => resolve(server.address().port));
  });

const ports = { v1: await listen('v1'), v2: await listen('v2') };
process.stdout.write(`BACKENDS ${JSON.stringify(ports)}\n`);
process.on('SIGTERM', () => process.exit(0));
