#!/usr/bin/env node
/**
 * TCP load: `bulk <port> <bytes>` reads one stream the server sends until its end (or `bytes`) and reports
 * throughput; `connect <port> <seconds> <concurrency>` opens connections as fast as it can, each waiting for
 * the server's one-byte greeting (so the connection went all the way to the origin, through any proxy), and
 * reports connections per second. Prints one JSON line. Bounded by bytes/seconds plus a 30 s guard.
 */
import net from 'node:net';

const [mode, portArg, a, b] = process.argv.slice(2);
const port = Number(portArg);
const guard = setTimeout(() => {
  process.stdout.write(`${JSON.stringify({ error: 'timed out' })}\n`);
  process.exit(1);
}, 60_000);

if (mode === 'bulk') {
  const limit = Number(a);
  const started = performance.now();
  let bytes = 0;
  const socket = net.connect({ host: '127.0.0.1', port });
  socket.on('data', (chunk) => {
    bytes += chunk.length;
    if (bytes >= limit) socket.destroy();
  });
  await new Promise((resolve) => {
    socket.on('close', resolve);
    socket.on('error', resolve);
  });
  const seconds = (performance.now() - started) / 1000;
  process.stdout.write(`${JSON.stringify({ bytes, seconds, bytesPerSecond: bytes / seconds })}\n`);
} else if (mode === 'connect') {
  const seconds = Number(a);
  const concurrency = Number(b ?? 16);
  const until = performance.now() + seconds * 1000;
  let completed = 0;
  let failed = 0;
  const once = () =>
    new Promise((resolve) => {
      const socket = net.connect({ host: '127.0.0.1', port });
      socket.setNoDelay(true);
      const finish = (good) => {
        if (good) completed++;
        else failed++;
        socket.destroy();
        resolve();
      };
      socket.once('data', () => finish(true));
      socket.once('error', () => finish(false));
      socket.once('end', () => finish(false));
      socket.setTimeout(5000, () => finish(false));
    });
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < until) await once();
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  process.stdout.write(
    `${JSON.stringify({ completed, failed, seconds: elapsed, perSecond: completed / elapsed })}\n`,
  );
} else {
  process.stderr.write('usage: tcp-load.mjs bulk <port> <bytes> | connect <port> <seconds> <concurrency>\n');
  process.exitCode = 2;
}
clearTimeout(guard);
