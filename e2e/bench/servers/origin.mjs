#!/usr/bin/env node
/**
 * The TCP and UDP origin of the bench (HTTP's origin is an nginx): a bulk source that sends `<bytes>` to
 * every connection and ends it, a greeter that writes one byte and ends, and a UDP echo. All on loopback,
 * ports chosen by the kernel; prints one JSON line with them. Stops on SIGTERM.
 */
import dgram from 'node:dgram';
import net from 'node:net';

const bulkBytes = Number(process.argv[2] ?? 256 * 1024 * 1024);
const chunk = Buffer.alloc(256 * 1024, 0x62);

const bulk = net.createServer((socket) => {
  let left = bulkBytes;
  socket.on('error', () => {});
  const pump = () => {
    while (left > 0) {
      const piece = left >= chunk.length ? chunk : chunk.subarray(0, left);
      left -= piece.length;
      if (!socket.write(piece)) return socket.once('drain', pump);
    }
    socket.end();
  };
  pump();
});
const greeter = net.createServer((socket) => {
  socket.on('error', () => {});
  socket.end('x');
});
const udp = dgram.createSocket('udp4');
udp.on('message', (msg, rinfo) => udp.send(msg, rinfo.port, rinfo.address));
udp.on('error', () => {});

const listen = (server) =>
  new Promise((resolve) => server.listen(0, '127.0.0.1', 1024, () => resolve(server.address().port)));
const ports = {
  bulk: await listen(bulk),
  greeter: await listen(greeter),
  udp: await new Promise((resolve) => udp.bind(0, '127.0.0.1', () => resolve(udp.address().port))),
};
process.stdout.write(`ORIGIN ${JSON.stringify(ports)}\n`);
process.on('SIGTERM', () => process.exit(0));
