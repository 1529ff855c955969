/**
 * HTTP/2 with prior knowledge (h2c) and HTTP/1.1 on one port. The first bytes of a connection tell them
 * apart: an HTTP/2 client opens with the connection preface `PRI * HTTP/2.0`. node:http2 reads its socket
 * natively and would miss bytes already read, so the HTTP/2 side gets a small Duplex that replays them.
 */
import type { Socket } from 'node:net';
import { Duplex } from 'node:stream';

/** The first three bytes of the HTTP/2 connection preface (no HTTP/1.1 method starts so). */
const PREFACE_START = Buffer.from('PRI');

/**
 * Waits for a connection's first bytes, then hands it to `http1(socket)` (bytes put back) or to
 * `http2(stream)` (a Duplex that replays them, with the peer address attached).
 */
export function splitByPreface(
  socket: Socket,
  firstBytesTimeoutMs: number,
  http1: (socket: Socket) => void,
  http2: (stream: Duplex, remoteAddress: string | undefined) => void,
): void {
  const release = () => socket.destroy();
  socket.on('error', release);
  // A connection closed before its first byte is released at once: with the half-open sockets node:http
  // asks for, it would otherwise sit in CLOSE-WAIT, holding a descriptor until the timer below.
  socket.once('end', release);
  // A connection that never says anything is not left open: neither server's timeouts cover it yet.
  const silent = setTimeout(release, firstBytesTimeoutMs);
  socket.once('close', () => clearTimeout(silent));
  socket.once('data', (first: Buffer) => {
    clearTimeout(silent);
    socket.pause();
    socket.off('error', release);
    socket.off('end', release);
    if (
      first.length >= PREFACE_START.length &&
      first.subarray(0, PREFACE_START.length).equals(PREFACE_START)
    ) {
      http2(replaying(socket, first), socket.remoteAddress);
    } else {
      socket.unshift(first);
      http1(socket);
      socket.resume();
    }
  });
}

/** A Duplex over `socket` whose readable side starts with `first`. */
function replaying(socket: Socket, first: Buffer): Duplex {
  const stream = new Duplex({
    read() {
      socket.resume();
    },
    write(chunk: Buffer, _encoding, callback) {
      socket.write(chunk, callback);
    },
    final(callback) {
      socket.end(callback);
    },
    destroy(error, callback) {
      socket.destroy(error ?? undefined);
      callback(error);
    },
  });
  stream.push(first);
  socket.on('data', (chunk: Buffer) => {
    if (!stream.push(chunk)) socket.pause();
  });
  socket.on('end', () => stream.push(null));
  socket.on('error', (error) => stream.destroy(error));
  socket.on('close', () => stream.destroy());
  return stream;
}
