#!/usr/bin/env node
/**
 * The floor of a DNS server in Node.js: a bare node:dgram socket answering each query with itself, the
 * response bit set (NOERROR, no records). No parsing, no zone: what the runtime's UDP path costs at least,
 * reported beside the mesh DNS server and unbound.
 *
 * Usage: dns-reflector.mjs; prints `REFLECTOR {"port": port}`.
 */
import dgram from 'node:dgram';

const socket = dgram.createSocket('udp4');
socket.on('message', (query, peer) => {
  if (query.length < 12) return;
  const reply = Buffer.from(query);
  reply[2] = (reply[2] ?? 0) | 0x80;
  socket.send(reply, peer.port, peer.address);
});
socket.on('error', () => {});
socket.bind(0, '127.0.0.1', () => {
  process.stdout.write(`REFLECTOR ${JSON.stringify({ port: socket.address().port })}\n`);
});
process.on('SIGTERM', () => process.exit(0));
