// A backend for the policy scenarios: answers HTTP like the harness's identity server (JSON with pod, node,
// client and path), except that every Nth request is answered 503. It also counts what reached it, so a
// test can see retries: GET /_count answers {"served": n} and is not counted. Usage:
//   node flaky-server.mjs --pod flaky --node node-c --http-port 8080 --fail-every 3
import http from 'node:http';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    pod: { type: 'string', default: 'unknown' },
    node: { type: 'string', default: 'unknown' },
    host: { type: 'string', default: '0.0.0.0' },
    'http-port': { type: 'string' },
    'fail-every': { type: 'string', default: '0' },
  },
});

const port = Number(values['http-port']);
const failEvery = Number(values['fail-every']);
if (!Number.isInteger(port) || port < 1 || port > 65535 || !Number.isInteger(failEvery) || failEvery < 0) {
  process.stderr.write('give --http-port 1..65535 and --fail-every n >= 0\n');
  process.exit(2);
}

let served = 0;
const server = http.createServer((req, res) => {
  if (req.url === '/_count') {
    res.writeHead(200, { 'content-type': 'application/json' }).end(`${JSON.stringify({ served })}\n`);
    return;
  }
  served += 1;
  if (failEvery > 0 && served % failEvery === 0) {
    res.writeHead(503, { 'content-type': 'text/plain' }).end('failing on purpose\n');
    return;
  }
  const body = JSON.stringify({
    pod: values.pod,
    node: values.node,
    client: req.socket.remoteAddress?.replace(/^::ffff:/, ''),
    path: req.url,
  });
  res.writeHead(200, { 'content-type': 'application/json' }).end(`${body}\n`);
});
server.on('clientError', (_error, socket) => socket.destroy());
server.listen(port, values.host);

process.on('SIGTERM', () => {
  server.close(() => process.exit(0));
  server.closeAllConnections();
  setTimeout(() => process.exit(0), 500).unref();
});
