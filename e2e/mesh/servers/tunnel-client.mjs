// A client of a node-proxy's tunnel port (docs/mtls.md), run inside a pod's namespace by the mTLS suite, to
// ask the destination directly what it decides for a certificate: TLS 1.3 with ALPN h2 to --host:--port,
// presenting --cert/--key (or no certificate), then --count CONNECT streams to --target (podIP:port), each
// carrying `GET --path` (HTTP/1.0) and reading the answer. Prints one JSON line:
//   { tls: 'ok' | error, server: <fingerprint of its certificate>, streams: [{ status, refusal, body } | { error }] }
// Bounded: --seconds for the whole run (default 10), then it exits whatever happened. The server's own
// certificate is not checked: what is tested is what the server accepts, not whom this client trusts.
import { readFileSync } from 'node:fs';
import http2 from 'node:http2';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    host: { type: 'string' },
    port: { type: 'string', default: '15008' },
    target: { type: 'string' },
    path: { type: 'string', default: '/' },
    cert: { type: 'string' },
    key: { type: 'string' },
    count: { type: 'string', default: '1' },
    seconds: { type: 'string', default: '10' },
  },
});
const print = (result) => process.stdout.write(`${JSON.stringify(result)}\n`);
setTimeout(() => {
  print({ tls: 'time is up', streams: [] });
  process.exit(3);
}, Number(values.seconds) * 1000).unref();

const tls = {
  rejectUnauthorized: false,
  // The name the node proxies' own TunnelClient sends: the server picks its certificate by SNI.
  servername: 'tunnel.nodemesh.internal',
  minVersion: 'TLSv1.3',
  ...(values.cert === undefined ? {} : { cert: readFileSync(values.cert), key: readFileSync(values.key) }),
};

function connect() {
  return new Promise((resolve) => {
    const session = http2.connect(`https://${values.host}:${values.port}`, tls);
    session.once('connect', () => resolve({ session }));
    session.once('error', (error) => resolve({ error: `${error.code ?? ''} ${error.message}`.trim() }));
    session.once('close', () => resolve({ error: 'closed before the handshake completed' }));
  });
}

function stream(session) {
  return new Promise((resolve) => {
    const s = session.request({ ':method': 'CONNECT', ':authority': values.target });
    let status = 0;
    let refusal;
    const chunks = [];
    s.on('response', (headers) => {
      status = headers[':status'];
      refusal = headers['nodemesh-tunnel-refusal'];
      if (status === 200) {
        // HTTP/1.0: the answer comes whole, not chunked, and the server closes when done.
        s.write(`GET ${values.path} HTTP/1.0\r\nHost: ${values.target}\r\n\r\n`);
      }
    });
    s.on('data', (chunk) => chunks.push(chunk));
    s.on('end', () => {
      const text = Buffer.concat(chunks).toString();
      const at = text.indexOf('\r\n\r\n');
      const httpStatus = Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0);
      resolve({ status, refusal, httpStatus, body: at >= 0 ? text.slice(at + 4) : '' });
    });
    s.on('error', (error) =>
      resolve({ status, refusal, error: `${error.code ?? ''} ${error.message}`.trim() }),
    );
  });
}

const connected = await connect();
if (connected.error !== undefined) {
  print({ tls: connected.error, streams: [] });
  process.exit(0);
}
const streams = [];
for (let i = 0; i < Number(values.count); i += 1) {
  if (connected.session.closed || connected.session.destroyed) {
    streams.push({ error: 'the session was closed' });
    continue;
  }
  streams.push(await stream(connected.session));
}
// Which certificate the server presented: renewals show as a new fingerprint.
print({ tls: 'ok', server: connected.session.socket?.getPeerCertificate()?.fingerprint256, streams });
connected.session.close();
process.exit(0);
