// A plain server for harness tests: answers every HTTP request with JSON saying which pod and node answered
// and whom it saw as the client, and every UDP datagram with one line saying the same. Usage:
//   node identity-server.mjs --pod web --node node-a --http-port 8080 [--udp-port 9053] [--host 0.0.0.0]
import dgram from 'node:dgram';
import http from 'node:http';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    pod: { type: 'string', default: 'unknown' },
    node: { type: 'string', default: 'unknown' },
    host: { type: 'string', default: '0.0.0.0' },
    'http-port': { type: 'string' },
    'udp-port': { type: 'string' },
  },
});

function port(text, flag) {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1 || value > 65535) {
    process.stderr.write(`--${flag} must be a port from 1 to 65535, got ${JSON.stringify(text)}\n`);
    process.exit(2);
  }
  return value;
}

const closers = [];

if (values['http-port'] !== undefined) {
  const server = http.createServer((req, res) => {
    const body = JSON.stringify({
      pod: values.pod,
      node: values.node,
      client: req.socket.remoteAddress?.replace(/^::ffff:/, ''),
      path: req.url,
    });
    res.writeHead(200, { 'content-type': 'application/json', connection: 'close' }).end(`${body}\n`);
  });
  server.on('clientError', (_error, socket) => socket.destroy());
  server.listen(port(values['http-port'], 'http-port'), values.host);
  closers.push((done) => server.close(done));
}

if (values['udp-port'] !== undefined) {
  const socket = dgram.createSocket('udp4');
  socket.on('message', (message, peer) => {
    const text = message.toString('utf8', 0, Math.min(message.length, 512)).trim();
    socket.send(`${values.pod}@${values.node} from ${peer.address}: ${text}\n`, peer.port, peer.address);
  });
  socket.on('error', (error) => process.stderr.write(`udp: ${error.message}\n`));
  socket.bind(port(values['udp-port'], 'udp-port'), values.host);
  closers.push((done) => socket.close(done));
}

if (closers.length === 0) {
  process.stderr.write('give --http-port and/or --udp-port\n');
  process.exit(2);
}

process.on('SIGTERM', () => {
  let open = closers.length;
  for (const close of closers) {
    close(() => {
      open -= 1;
      if (open === 0) process.exit(0);
    });
  }
  setTimeout(() => process.exit(0), 500).unref();
});
