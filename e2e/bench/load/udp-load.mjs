#!/usr/bin/env node
/**
 * UDP echo load: `udp-load.mjs <port> <seconds> [sockets] [window]`. Each socket keeps `window` datagrams in
 * flight and sends the next one when an echo comes back; a window that makes no progress for 20 ms is
 * counted as lost and refilled. Prints { received, lost, seconds, perSecond }. Bounded by `seconds`.
 */
import dgram from 'node:dgram';

const [portArg, secondsArg, socketsArg, windowArg] = process.argv.slice(2);
const port = Number(portArg);
const seconds = Number(secondsArg);
const socketCount = Number(socketsArg ?? 4);
const windowSize = Number(windowArg ?? 32);
const payload = Buffer.alloc(64, 0x61);
let received = 0;
let lost = 0;
let running = true;

const sockets = await Promise.all(
  Array.from(
    { length: socketCount },
    () =>
      new Promise((resolve) => {
        const socket = dgram.createSocket('udp4');
        socket.bind(0, '127.0.0.1', () => resolve(socket));
      }),
  ),
);
const states = sockets.map((socket) => {
  const state = { socket, inFlight: 0, progress: 0 };
  socket.on('message', () => {
    received++;
    state.inFlight--;
    state.progress++;
    if (running) {
      state.inFlight++;
      socket.send(payload, port, '127.0.0.1');
    }
  });
  socket.on('error', () => {});
  return state;
});
const fill = (state) => {
  while (state.inFlight < windowSize) {
    state.inFlight++;
    state.socket.send(payload, port, '127.0.0.1');
  }
};
const started = performance.now();
for (const state of states) fill(state);
const stall = setInterval(() => {
  for (const state of states) {
    if (state.progress === 0 && state.inFlight > 0) {
      lost += state.inFlight;
      state.inFlight = 0;
      fill(state);
    }
    state.progress = 0;
  }
}, 20);
await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
running = false;
const elapsed = (performance.now() - started) / 1000;
clearInterval(stall);
process.stdout.write(
  `${JSON.stringify({ received, lost, seconds: elapsed, perSecond: received / elapsed })}\n`,
);
for (const state of states) state.socket.close();
