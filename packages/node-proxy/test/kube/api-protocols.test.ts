/**
 * Every protocol the node-proxy carries, through real sockets, with everything it routes created through the
 * in-memory API server: user Services (traffic type and scheme as annotations), Pods with status (the API
 * server's EndpointSlice controller turns them into endpoints), and the shadows the dns-controller would
 * write, ports allocated with `allocatePorts`.
 */
import { createHash } from 'node:crypto';
import { Agent, request as httpRequest } from 'node:http';
import { connect as connectH2 } from 'node:http2';
import { connect } from 'node:net';
import { PassThrough } from 'node:stream';
import { type ApiServer, startApiServer } from '@nodemesh/apiserver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import type { RunningNodeProxy } from '../../src/index.js';
import { h2cBackend, httpBackend, Resources, tcpEchoBackend, udpEchoBackend } from '../support.js';
import { send, startMeshProxy, tcpRoundTrip, UdpClient, withTimeout } from './api-harness.js';
import { Api, type Json, waitFor } from './kube-fixtures.js';

let resources: Resources;
let server: ApiServer;
let api: Api;
let running: RunningNodeProxy;
/** The proxy's bound ports: the HTTP entrypoint, and the listeners of the tcp and udp Services. */
let entry: number;
let tcpPort: number;
let udpPort: number;

const sha = (data: Buffer) => createHash('sha256').update(data).digest('hex');

async function meshService(
  name: string,
  ports: Json[],
  annotations: Record<string, string>,
  backendPort: number,
): Promise<Map<string, number>> {
  const user = await api.create('/api/v1/namespaces/shop/services', {
    metadata: { name, annotations },
    spec: { selector: { app: name }, ports: ports.map((p) => ({ targetPort: backendPort, ...p })) },
  });
  await api.pod('shop', `${name}-pod`, { node: 'node-b', ip: '127.0.0.1', labels: { app: name } });
  return api.meshShadow(user);
}

beforeAll(async () => {
  resources = new Resources();
  server = resources.add(await startApiServer(), (s) => s.stop());
  api = new Api(server.url);
  await api.namespace('shop');
  await api.namespace('nodemesh');
  await api.installSmiCrds();

  const web = await httpBackend(resources, 'web');
  const wss = new WebSocketServer({ server: web.server });
  resources.add(wss, (w) => new Promise<void>((resolve) => w.close(() => resolve())));
  wss.on('connection', (ws, req) => {
    ws.on('message', (data, isBinary) => {
      if (isBinary) ws.send(data, { binary: true });
      else ws.send(`echo ${data.toString()} via ${req.headers['x-forwarded-for']}`);
    });
  });

  await meshService('web', [{ name: 'http', port: 80, protocol: 'TCP' }], {}, web.port);
  await meshService(
    'grpc',
    [{ name: 'grpc', port: 9090, protocol: 'TCP' }],
    { 'nodemesh.io/scheme': 'h2c' },
    await h2cBackend(resources, 'grpc'),
  );
  const db = await meshService(
    'db',
    [{ name: 'pg', port: 5432, protocol: 'TCP' }],
    { 'nodemesh.io/traffic-type': 'tcp' },
    await tcpEchoBackend(resources),
  );
  const dns = await meshService(
    'dns',
    [{ name: 'dns', port: 53, protocol: 'UDP' }],
    { 'nodemesh.io/traffic-type': 'udp' },
    await udpEchoBackend(resources, 'dns'),
  );
  const dbProxyPort = db.get('TCP/5432') ?? 0;
  const dnsProxyPort = dns.get('UDP/53') ?? 0;
  // Allocated by the dns-controller's rules: the first of each range.
  expect([dbProxyPort, dnsProxyPort]).toEqual([10000, 15000]);

  running = await startMeshProxy(resources, server.url);
  await waitFor('every listener', () =>
    [
      running.proxy.boundPort('http', 5000),
      running.proxy.boundPort('tcp', dbProxyPort),
      running.proxy.boundPort('udp', dnsProxyPort),
    ].every((p) => p !== undefined),
  );
  entry = running.proxy.boundPort('http', 5000) ?? 0;
  tcpPort = running.proxy.boundPort('tcp', dbProxyPort) ?? 0;
  udpPort = running.proxy.boundPort('udp', dnsProxyPort) ?? 0;
  // Endpoints arrive through their own watch: wait until each Service answers.
  const agent = new Agent();
  await waitFor('web to answer', async () => (await send(agent, entry, 'web.shop.mesh', '/')).status === 200);
  await waitFor(
    'grpc to answer',
    async () => (await send(agent, entry, 'grpc.shop.mesh', '/', { body: Buffer.from('x') })).status === 200,
  );
  agent.destroy();
  await waitFor('db to answer', async () => (await tcpRoundTrip(tcpPort, Buffer.from('hi'))).length === 5);
  await waitFor('dns to answer', async () => {
    const client = new UdpClient(udpPort);
    try {
      return (await client.exchange('hi', 300)).toString() === 'dns:hi';
    } finally {
      await client.close();
    }
  });
}, 30_000);

afterAll(async () => {
  await resources.closeAll();
});

describe('HTTP/1.1 through the API-fed proxy', () => {
  it('keeps one client connection alive across sequential requests', async () => {
    const agent = resources.add(new Agent({ keepAlive: true, maxSockets: 1 }), async (a) => a.destroy());
    const sockets = new Set<unknown>();
    for (let i = 0; i < 20; i++) {
      const answer = await send(agent, entry, 'web.shop.mesh', `/ka/${i}`);
      expect(answer.status).toBe(200);
      const body = JSON.parse(answer.body.toString()) as { backend: string; url: string };
      expect(body).toMatchObject({ backend: 'web', url: `/ka/${i}` });
      expect(answer.headers.connection).not.toBe('close');
      sockets.add(answer.socket);
    }
    expect(sockets.size).toBe(1);
  });

  it('carries large bodies both ways intact', async () => {
    const agent = resources.add(new Agent({ keepAlive: true }), async (a) => a.destroy());
    const upload = Buffer.alloc(6 * 1024 * 1024);
    for (let i = 0; i < upload.length; i += 4) upload.writeUInt32LE(i, i);
    const echoed = await send(agent, entry, 'web.shop.mesh', '/echo', { body: upload, timeoutMs: 30_000 });
    expect(echoed.status).toBe(200);
    expect(echoed.headers['x-backend']).toBe('web');
    expect(echoed.body.length).toBe(upload.length);
    expect(sha(echoed.body)).toBe(sha(upload));

    const download = await send(agent, entry, 'web.shop.mesh', '/big?bytes=8000000', { timeoutMs: 30_000 });
    expect(download.headers['content-length']).toBe('8000000');
    expect(download.body.length).toBe(8_000_000);

    // A chunked upload of unknown length, streamed in 64 KiB pieces.
    const stream = new PassThrough();
    const answer = send(agent, entry, 'web.shop.mesh', '/echo', { body: stream, timeoutMs: 30_000 });
    const pieces: Buffer[] = [];
    for (let i = 0; i < 32; i++) {
      const piece = Buffer.alloc(64 * 1024, i);
      pieces.push(piece);
      stream.write(piece);
    }
    stream.end();
    expect(sha((await answer).body)).toBe(sha(Buffer.concat(pieces)));
  });

  it('streams a response as the backend writes it', async () => {
    const agent = resources.add(new Agent(), async (a) => a.destroy());
    const answer = await send(agent, entry, 'web.shop.mesh', '/stream?chunks=30');
    expect(answer.headers['transfer-encoding']).toBe('chunked');
    expect(answer.body.toString()).toBe(Array.from({ length: 30 }, (_, i) => `chunk ${i}\n`).join(''));
  });

  it('streams full duplex: each request chunk is echoed before the next is sent', async () => {
    // A proxy that buffered the request body (or the response) until the request ended would never echo
    // the first chunk, and this would time out.
    const agent = resources.add(new Agent(), async (a) => a.destroy());
    const body = new PassThrough();
    const received: string[] = [];
    const done = withTimeout(
      new Promise<string>((resolve, reject) => {
        const req = sendRaw(agent, body);
        req.on('error', reject);
        req.on('response', (res) => {
          let text = '';
          let next = 1;
          res.on('data', (d: Buffer) => {
            text += d.toString();
            received.push(d.toString());
            if (next < 10 && text.endsWith(`piece ${next - 1};`)) body.write(`piece ${next++};`);
            else if (next === 10 && text.endsWith('piece 9;')) body.end();
          });
          res.on('end', () => resolve(text));
          res.on('error', reject);
        });
      }),
      10_000,
      `the echo of each piece (got ${JSON.stringify(received)})`,
    );
    body.write('piece 0;');
    expect(await done).toBe(Array.from({ length: 10 }, (_, i) => `piece ${i};`).join(''));
  });

  it('tunnels a WebSocket: text, a 1 MiB binary message, and a clean close', async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${entry}/ws`, { headers: { host: 'web.shop.mesh' } });
    resources.add(ws, async (w) => w.terminate());
    await withTimeout(
      new Promise<void>((resolve, reject) => {
        ws.once('open', () => resolve());
        ws.once('error', reject);
      }),
      5_000,
      'the WebSocket to open',
    );
    const next = () =>
      withTimeout(
        new Promise<Buffer>((resolve) => ws.once('message', (d: Buffer) => resolve(d))),
        5_000,
        'a WebSocket message',
      );
    for (let i = 0; i < 5; i++) {
      const reply = next();
      ws.send(`hi ${i}`);
      expect((await reply).toString()).toBe(`echo hi ${i} via 127.0.0.1`);
    }
    const big = Buffer.alloc(1024 * 1024);
    for (let i = 0; i < big.length; i++) big[i] = (i * 31) & 0xff;
    const reply = next();
    ws.send(big, { binary: true });
    expect(sha(await reply)).toBe(sha(big));
    const closed = withTimeout(
      new Promise<number>((resolve) => ws.once('close', (code: number) => resolve(code))),
      5_000,
      'the close handshake',
    );
    ws.close(1000, 'done');
    expect(await closed).toBe(1000);
  });
});

describe('h2c through the API-fed proxy (nodemesh.io/scheme: h2c)', () => {
  it('reaches the h2c backend over HTTP/2 from an HTTP/1.1 caller', async () => {
    const agent = resources.add(new Agent({ keepAlive: true }), async (a) => a.destroy());
    for (let i = 0; i < 5; i++) {
      const answer = await send(agent, entry, 'grpc.shop.mesh', '/pkg.Service/Method', {
        body: Buffer.alloc(1000 * (i + 1), 7),
      });
      expect(answer.status).toBe(200);
      expect(JSON.parse(answer.body.toString())).toEqual({
        backend: 'grpc',
        httpVersion: '2.0',
        authority: 'grpc.shop.mesh',
        bytes: 1000 * (i + 1),
      });
    }
  });

  it('carries concurrent HTTP/2 streams from an h2c caller and passes trailers back', async () => {
    const session = connectH2(`http://127.0.0.1:${entry}`);
    resources.add(session, async (s) => void s.destroy());
    session.on('error', () => undefined);
    const call = (i: number) =>
      withTimeout(
        new Promise<{ text: string; trailers: Record<string, unknown> }>((resolve, reject) => {
          const stream = session.request({
            ':method': 'POST',
            ':path': `/pkg.Service/Call${i}`,
            ':authority': 'grpc.shop.mesh:9090',
          });
          let text = '';
          let trailers: Record<string, unknown> = {};
          stream.on('trailers', (t) => {
            trailers = { ...t };
          });
          stream.on('data', (d: Buffer) => {
            text += d.toString();
          });
          stream.on('end', () => resolve({ text, trailers }));
          stream.on('error', reject);
          stream.end(Buffer.alloc(50_000 + i, 1));
        }),
        10_000,
        `h2 stream ${i}`,
      );
    const answers = await Promise.all(Array.from({ length: 8 }, (_, i) => call(i)));
    answers.forEach((answer, i) => {
      expect(JSON.parse(answer.text)).toMatchObject({
        backend: 'grpc',
        httpVersion: '2.0',
        bytes: 50_000 + i,
      });
      expect(answer.trailers['grpc-status']).toBe('0');
    });
  });
});

describe('TCP through the API-fed proxy (nodemesh.io/traffic-type: tcp)', () => {
  it('echoes 1 MiB and passes the half-close on, so the backend can still answer', async () => {
    const payload = Buffer.alloc(1024 * 1024);
    for (let i = 0; i < payload.length; i++) payload[i] = (i * 7) & 0xff;
    const answer = await tcpRoundTrip(tcpPort, payload, 15_000);
    expect(answer.length).toBe(payload.length + 3);
    expect(sha(answer.subarray(0, payload.length))).toBe(sha(payload));
    expect(answer.subarray(payload.length).toString()).toBe('bye');
  });

  it('keeps talking in both directions before the half-close', async () => {
    const socket = connect({ host: '127.0.0.1', port: tcpPort, allowHalfOpen: true });
    resources.add(socket, async (s) => void s.destroy());
    socket.on('error', () => undefined);
    let received = '';
    const waitForText = (text: string) =>
      waitFor(`the echo of ${JSON.stringify(text)}`, () => received.endsWith(text), 5_000);
    socket.on('data', (d: Buffer) => {
      received += d.toString();
    });
    for (let i = 0; i < 10; i++) {
      socket.write(`line ${i}\n`);
      await waitForText(`line ${i}\n`);
    }
    const ended = withTimeout(
      new Promise<void>((resolve) => socket.once('end', () => resolve())),
      5_000,
      'the end',
    );
    socket.end();
    await ended;
    expect(received).toBe(`${Array.from({ length: 10 }, (_, i) => `line ${i}\n`).join('')}bye`);
  });

  it('serves concurrent connections independently', async () => {
    const answers = await Promise.all(
      Array.from({ length: 10 }, (_, i) => tcpRoundTrip(tcpPort, Buffer.from(`conn ${i} `.repeat(1000)))),
    );
    answers.forEach((answer, i) => {
      expect(answer.toString()).toBe(`${`conn ${i} `.repeat(1000)}bye`);
    });
  });
});

describe('UDP through the API-fed proxy (nodemesh.io/traffic-type: udp)', () => {
  it('echoes a sequence of datagrams on one session, and a large one', async () => {
    const client = resources.add(new UdpClient(udpPort), (c) => c.close());
    for (let i = 0; i < 30; i++) {
      expect((await client.exchange(`q${i}`)).toString()).toBe(`dns:q${i}`);
    }
    const big = Buffer.alloc(8000, 'u');
    const reply = await client.exchange(big);
    expect(reply.length).toBe(8004);
    expect(reply.subarray(4).equals(big)).toBe(true);
  });

  // A route's Service port is found by number and protocol: a DNS Service has UDP 53 and TCP 53.
  it('serves both ports of a udp Service that also has a TCP port (DNS-style): UDP as udp, TCP as tcp', async () => {
    const udpBackend = await udpEchoBackend(resources, 'resolver');
    const tcpBackend = await tcpEchoBackend(resources);
    const ports = await meshService(
      'resolver',
      [
        { name: 'dns-udp', port: 53, protocol: 'UDP', targetPort: udpBackend },
        { name: 'dns-tcp', port: 53, protocol: 'TCP', targetPort: tcpBackend },
      ],
      { 'nodemesh.io/traffic-type': 'udp' },
      0,
    );
    // The next free port of each range, after db's and dns's.
    expect(Object.fromEntries(ports)).toEqual({ 'UDP/53': 15001, 'TCP/53': 10001 });
    await waitFor(
      'both listeners',
      () =>
        running.proxy.boundPort('udp', 15001) !== undefined &&
        running.proxy.boundPort('tcp', 10001) !== undefined,
    );
    const client = resources.add(new UdpClient(running.proxy.boundPort('udp', 15001) ?? 0), (c) => c.close());
    await waitFor(
      'resolver over UDP',
      async () => (await client.exchange('a', 300)).toString() === 'resolver:a',
    );
    const tcp = running.proxy.boundPort('tcp', 10001) ?? 0;
    await waitFor(
      'resolver over TCP',
      async () => (await tcpRoundTrip(tcp, Buffer.from('b'))).toString() === 'bbye',
      3_000,
    );
  });

  it('keeps clients apart: each gets its own replies', async () => {
    const clients = Array.from({ length: 5 }, () => resources.add(new UdpClient(udpPort), (c) => c.close()));
    const replies = await Promise.all(clients.map((c, i) => c.exchange(`client ${i}`)));
    expect(replies.map((r) => r.toString())).toEqual(clients.map((_, i) => `dns:client ${i}`));
  });
});

/** A POST to web's /echo whose body is `body`, sent as it is written. */
function sendRaw(agent: Agent, body: PassThrough) {
  const req = httpRequest({
    host: '127.0.0.1',
    port: entry,
    agent,
    path: '/echo',
    method: 'POST',
    headers: { host: 'web.shop.mesh', 'transfer-encoding': 'chunked' },
    signal: AbortSignal.timeout(15_000),
  });
  body.pipe(req);
  return req;
}
