// A hostile pod's tools for the mesh scenarios (issue 13), each bounded in count and in time, printing one
// JSON line with what happened:
//   flood  --host H --port P --count N --parallel K --seconds S   connect and close at once, N times
//   hold   --host H --port P --count N --seconds S                open N connections that say nothing, hold them
//                                                                 S seconds, count those the proxy closed
//   tunnel --host H --port P --path /ws --authority A --seconds S  a WebSocket upgrade; logs "open" on the 101,
//                                                                 then a ping every 200 ms, "closed" when it ends
//   abandon --host H --port P --authority A --path /x --count N    uploads that declare 100 kB, send 1 kB, go away
import { lookup } from 'node:dns/promises';
import net from 'node:net';
import { parseArgs } from 'node:util';

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    host: { type: 'string' },
    port: { type: 'string' },
    count: { type: 'string', default: '1' },
    parallel: { type: 'string', default: '10' },
    seconds: { type: 'string', default: '10' },
    path: { type: 'string', default: '/' },
    authority: { type: 'string' },
  },
});
const [command] = positionals;
// Resolved once: a flood of connections is not a flood of DNS queries.
const host = values.host === undefined ? undefined : (await lookup(values.host)).address;
const port = Number(values.port);
const count = Number(values.count);
const deadline = Date.now() + Number(values.seconds) * 1000;
const print = (result) => process.stdout.write(`${JSON.stringify(result)}\n`);
// Whatever happens, the process ends: a bound in time for every command.
setTimeout(
  () => {
    print({ error: 'time is up' });
    process.exit(3);
  },
  Number(values.seconds) * 1000 + 5_000,
).unref();

function connect() {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    socket.on('error', () => resolve(undefined));
    socket.once('connect', () => resolve(socket));
  });
}

async function flood() {
  let done = 0;
  let failed = 0;
  const started = Date.now();
  const worker = async () => {
    while (done + failed < count && Date.now() < deadline) {
      const socket = await connect();
      if (socket === undefined) {
        failed++;
        continue;
      }
      // FIN and forget: do not wait for the proxy to close its side.
      socket.end();
      socket.once('finish', () => socket.destroy());
      done++;
    }
  };
  await Promise.all(Array.from({ length: Number(values.parallel) }, worker));
  print({ done, failed, ms: Date.now() - started });
}

async function hold() {
  const sockets = [];
  let closedByPeer = 0;
  for (let i = 0; i < count && Date.now() < deadline; i++) {
    const socket = await connect();
    if (socket === undefined) continue;
    socket.on('close', () => closedByPeer++);
    sockets.push(socket);
  }
  await new Promise((r) => setTimeout(r, Math.max(0, deadline - Date.now())));
  const result = { opened: sockets.length, closedByPeer };
  for (const socket of sockets) socket.destroy();
  print(result);
}

async function tunnel() {
  const socket = await connect();
  if (socket === undefined) return print({ error: 'no connection' });
  let received = '';
  let open = false;
  let timer;
  socket.on('data', (d) => {
    received += d.toString('latin1');
    if (!open && /^HTTP\/1\.1 101 /.test(received) && received.includes('\r\n\r\n')) {
      open = true;
      process.stdout.write('open\n');
      timer = setInterval(() => socket.write('ping'), 200);
    }
  });
  socket.on('close', () => {
    clearInterval(timer);
    print({ closed: true, open, echoed: received.split('ping').length - 1, head: received.split('\r\n')[0] });
    process.exit(0);
  });
  socket.write(
    `GET ${values.path} HTTP/1.1\r\nHost: ${values.authority}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n` +
      'Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n',
  );
  await new Promise((r) => setTimeout(r, Math.max(0, deadline - Date.now())));
  print({ closed: false, open });
  socket.destroy();
  process.exit(0);
}

async function abandon() {
  let sent = 0;
  for (let i = 0; i < count && Date.now() < deadline; i++) {
    const socket = await connect();
    if (socket === undefined) continue;
    socket.write(
      `POST ${values.path} HTTP/1.1\r\nHost: ${values.authority}\r\nContent-Length: 100000\r\n\r\n${'x'.repeat(1024)}`,
    );
    await new Promise((r) => setTimeout(r, 50));
    socket.destroy();
    sent++;
  }
  print({ sent });
}

const commands = { flood, hold, tunnel, abandon };
if (!(command in commands) || !host || !Number.isInteger(port)) {
  process.stderr.write('usage: hostile-client.mjs flood|hold|tunnel|abandon --host H --port P [...]\n');
  process.exit(2);
}
await commands[command]();
process.exit(0);
