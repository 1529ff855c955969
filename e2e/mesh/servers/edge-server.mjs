// A backend for the hostile-caller scenarios (issue 13): it records every request that reaches it, so a test
// can see that a smuggled one did not. Two ports: --http-port is a plain server (it ignores Upgrade headers and
// keeps parsing the connection, as most servers do); --ws-port also accepts `Upgrade: websocket` on /ws…,
// answering 101 and echoing every byte. GET /_seen on the plain port answers the record as JSON (not itself
// recorded); /_seen?reset=1 also clears it. Usage:
//   node edge-server.mjs --pod edge --node node-c --http-port 8080 --ws-port 8081
import http from 'node:http';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    pod: { type: 'string', default: 'unknown' },
    node: { type: 'string', default: 'unknown' },
    host: { type: 'string', default: '0.0.0.0' },
    'http-port': { type: 'string' },
    'ws-port': { type: 'string' },
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

/** Headers a test may ask about; the rest are not kept. */
const KEPT = [
  'host',
  'upgrade',
  'http2-settings',
  'expect',
  'content-length',
  'x-nodemesh-caller',
  'l5d-client-id',
  'x-forwarded-client-cert',
  'x_remote_user',
  'l5d_client_id',
];
const seen = [];

function record(req, bodyBytes) {
  const headers = {};
  for (const name of KEPT) if (req.headers[name] !== undefined) headers[name] = req.headers[name];
  seen.push({ method: req.method, url: req.url, headers, bodyBytes, client: req.socket.remoteAddress });
}

function handle(req, res) {
  if (req.url?.startsWith('/_seen')) {
    const body = JSON.stringify(seen);
    if (req.url.includes('reset=1')) seen.length = 0;
    res.writeHead(200, { 'content-type': 'application/json' }).end(body);
    return;
  }
  let bodyBytes = 0;
  req.on('data', (chunk) => {
    bodyBytes += chunk.length;
  });
  req.on('end', () => {
    record(req, bodyBytes);
    res
      .writeHead(200, { 'content-type': 'application/json' })
      .end(JSON.stringify({ pod: values.pod, node: values.node, path: req.url, bodyBytes }));
  });
}

const plain = http.createServer(handle);
plain.listen(port(values['http-port'], 'http-port'), values.host);

const ws = http.createServer(handle);
ws.on('upgrade', (req, socket, head) => {
  record(req, 0);
  socket.on('error', () => socket.destroy());
  if (req.headers.upgrade?.toLowerCase() !== 'websocket' || !req.url?.startsWith('/ws')) {
    socket.end('HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
    return;
  }
  socket.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n');
  if (head.length > 0) socket.write(head);
  socket.pipe(socket);
});
ws.listen(port(values['ws-port'], 'ws-port'), values.host);

process.on('SIGTERM', () => {
  plain.closeAllConnections();
  ws.closeAllConnections();
  plain.close();
  ws.close();
  setTimeout(() => process.exit(0), 300).unref();
});
