#!/usr/bin/env node
/**
 * The node-proxy as `nodemesh-proxy run` runs it: `startNodeProxy` from the built package, fed only by its
 * informers on the API server at <server-url>, with the defaults of the binary (50 ms between syncs, resync
 * every 30 s). Only the ports differ: listeners and the admin server bind port 0 on 127.0.0.1, so the bench
 * never collides with anything on the fixed entrypoints. Prints one JSON line with the bound HTTP
 * entrypoint 5000 and the admin port once the first full sync is applied.
 *
 * Usage: node-proxy-informed.mjs <server-url> <node-name>
 */
import { startNodeProxy } from '../../../packages/node-proxy/dist/index.js';

const [server, nodeName] = process.argv.slice(2);
if (!server?.startsWith('http://127.') || !nodeName) {
  process.stderr.write('usage: node-proxy-informed.mjs <http://127.x.x.x:port> <node-name>\n');
  process.exit(2);
}

const running = await startNodeProxy({
  server,
  nodeName,
  listenHost: '127.0.0.1',
  adminHost: '127.0.0.1',
  adminPort: 0,
  proxy: { bindPort: () => 0, drainMs: 1000 },
});
await running.synced;
const ports = { http: running.proxy.boundPort('http', 5000), admin: running.proxy.adminPort() };
process.stdout.write(`NODEPROXY ${JSON.stringify(ports)}\n`);
process.on('SIGTERM', () => {
  running.stop().then(
    () => process.exit(0),
    () => process.exit(1),
  );
});
