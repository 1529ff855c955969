import { connect as connectH2 } from 'node:http2';
import { connect } from 'node:net';
import { Readable } from 'node:stream';
import { Pool, request } from 'undici';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import type { NodeProxy } from '../src/index.js';
import { meshService, readyEndpoints, topologyInputs } from './fixtures.js';
import { h2cBackend, httpBackend, Resources, rawExchange, startProxy } from './support.js';

let resources: Resources;
let proxy: NodeProxy;
let entry: number;
let orders: { port: number; server: import('node:http').Server };

const ordersSvc = meshService('shop', 'orders', [{ port: 8080, targetPort: 5000 }], {
  clusterIP: '127.0.0.10',
});

beforeEach(async () => {
  resources = new Resources();
  orders = await httpBackend(resources, 'orders');
  const grpc = await h2cBackend(resources, 'grpc');
  proxy = await startProxy(resources);
  await proxy.applyInputs(
    topologyInputs({
      services: [
        ordersSvc,
        meshService('shop', 'empty', [{ port: 80, targetPort: 5000 }]),
        meshService('shop', 'grpc', [{ port: 9090, targetPort: 5000 }], { scheme: 'h2c' }),
      ],
      endpoints: {
        'shop/orders': readyEndpoints([{ address: '127.0.0.1', port: orders.port }]),
        'shop/grpc': readyEndpoints([{ address: '127.0.0.1', port: grpc }]),
      },
    }),
  );
  entry = proxy.boundPort('http', 5000) ?? 0;
});

afterEach(async () => {
  await resources.closeAll();
});

const url = (path: string) => `http://127.0.0.1:${entry}${path}`;

describe('HTTP entrypoint', () => {
  it('routes by Host (mesh name with or without port, any case, ClusterIP:port) and rewrites headers', async () => {
    for (const host of [
      'orders.shop.mesh',
      'Orders.Shop.MESH:8080',
      '127.0.0.10:8080',
      'orders.shop.mesh.',
    ]) {
      const res = await request(url('/a?b=1'), {
        headers: { host, 'x-nodemesh-source': 'forged', connection: 'keep-alive' },
      });
      const body = (await res.body.json()) as {
        backend: string;
        url: string;
        headers: Record<string, string>;
      };
      expect(res.statusCode).toBe(200);
      expect(body.backend).toBe('orders');
      expect(body.url).toBe('/a?b=1');
      expect(body.headers.host).toBe(host);
      expect(body.headers['x-forwarded-for']).toBe('127.0.0.1');
      expect(body.headers['x-forwarded-proto']).toBe('http');
      expect(body.headers['x-nodemesh-source']).toBeUndefined();
      // The backend's Connection-named response header does not pass the hop.
      expect(res.headers['x-drop']).toBeUndefined();
    }
  });

  it('answers 404 for an unknown Host and 502 when no endpoint is ready', async () => {
    const unknown = await request(url('/'), { headers: { host: 'nope.shop.mesh' } });
    expect(unknown.statusCode).toBe(404);
    expect(await unknown.body.text()).toContain('nope.shop.mesh');
    const empty = await request(url('/'), { headers: { host: 'empty.shop.mesh' } });
    expect(empty.statusCode).toBe(502);
    expect(await empty.body.text()).toBe('no ready endpoint for empty.shop\n');
    // The 502 counts in the golden signals of its destination; the 404 has none.
    expect(await proxy.metrics.registry.getSingleMetricAsString('nodemesh_http_requests_total')).toMatch(
      /destination_service="empty",method="GET",status_class="5xx"} 1/,
    );
  });

  it('502 when the endpoint refuses the connection', async () => {
    await proxy.applyInputs(
      topologyInputs({
        services: [ordersSvc],
        endpoints: { 'shop/orders': readyEndpoints([{ address: '127.0.0.1', port: 1 }]) },
      }),
    );
    const res = await request(url('/'), { headers: { host: 'orders.shop.mesh' } });
    expect(res.statusCode).toBe(502);
    await res.body.text();
  });

  it('answers HEAD with the upstream headers and no body', async () => {
    const res = await request(url('/big?bytes=1000'), {
      method: 'HEAD',
      headers: { host: 'orders.shop.mesh' },
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-length']).toBe('1000');
    expect(await res.body.text()).toBe('');
  });

  it('keeps connections alive on both sides', async () => {
    let upstreamConnections = 0;
    orders.server.on('connection', () => upstreamConnections++);
    const client = new Pool(url(''), { connections: 1 });
    resources.add(client, (c) => c.close());
    for (let i = 0; i < 20; i++) {
      const res = await client.request({ path: '/', method: 'GET', headers: { host: 'orders.shop.mesh' } });
      expect(res.statusCode).toBe(200);
      await res.body.text();
    }
    expect(upstreamConnections).toBe(1);
  });

  it('carries large request and response bodies, and streamed ones, intact', async () => {
    const big = Buffer.alloc(8 * 1024 * 1024);
    for (let i = 0; i < big.length; i++) big[i] = i % 251;
    const echoed = await request(url('/echo'), {
      method: 'POST',
      body: big,
      headers: { host: 'orders.shop.mesh' },
    });
    const back = Buffer.from(await echoed.body.arrayBuffer());
    expect(back.equals(big)).toBe(true);

    // A chunked upload with no Content-Length.
    const parts = Array.from({ length: 50 }, (_, i) => Buffer.from(`part ${i};`));
    const streamed = await request(url('/echo'), {
      method: 'PUT',
      body: Readable.from(parts),
      headers: { host: 'orders.shop.mesh', 'content-type': 'text/plain' },
    });
    expect(await streamed.body.text()).toBe(Buffer.concat(parts).toString());

    const download = await request(url('/big?bytes=5000000'), { headers: { host: 'orders.shop.mesh' } });
    expect((await download.body.arrayBuffer()).byteLength).toBe(5_000_000);

    const chunks = await request(url('/stream?chunks=20'), { headers: { host: 'orders.shop.mesh' } });
    expect(await chunks.body.text()).toBe(Array.from({ length: 20 }, (_, i) => `chunk ${i}\n`).join(''));
  });

  it('reaches h2c backends over HTTP/2', async () => {
    const res = await request(url('/pkg.Service/Method'), {
      method: 'POST',
      body: 'x',
      headers: { host: 'grpc.shop.mesh' },
    });
    const body = (await res.body.json()) as { backend: string; httpVersion: string; authority: string };
    expect(body).toEqual({ backend: 'grpc', httpVersion: '2.0', authority: 'grpc.shop.mesh', bytes: 1 });
  });

  it('accepts HTTP/2 callers (h2c prior knowledge) and passes trailers back, to h2c and HTTP/1.1 backends', async () => {
    const session = connectH2(url(''));
    resources.add(session, async (s) => void s.destroy());
    session.on('error', () => undefined);
    const call = (authority: string, path: string, body?: Buffer) =>
      new Promise<{ status: number; text: string; trailers: Record<string, unknown> }>((resolve, reject) => {
        const stream = session.request({
          ':method': body ? 'POST' : 'GET',
          ':path': path,
          ':authority': authority,
        });
        let text = '';
        let status = 0;
        let trailers: Record<string, unknown> = {};
        stream.on('response', (headers) => {
          status = Number(headers[':status']);
        });
        stream.on('trailers', (t) => {
          trailers = { ...t };
        });
        stream.on('data', (d: Buffer) => {
          text += d.toString();
        });
        stream.on('end', () => resolve({ status, text, trailers }));
        stream.on('error', reject);
        stream.end(body);
      });
    const grpc = await call('grpc.shop.mesh:9090', '/pkg.Service/Method', Buffer.alloc(100_000, 1));
    expect(grpc.status).toBe(200);
    expect(JSON.parse(grpc.text)).toEqual({
      backend: 'grpc',
      httpVersion: '2.0',
      authority: 'grpc.shop.mesh:9090',
      bytes: 100_000,
    });
    expect(grpc.trailers['grpc-status']).toBe('0');
    // Several streams on the one connection, to an HTTP/1.1 backend.
    const answers = await Promise.all([1, 2, 3].map((i) => call('orders.shop.mesh', `/h2/${i}`)));
    expect(answers.map((a) => (JSON.parse(a.text) as { url: string }).url)).toEqual([
      '/h2/1',
      '/h2/2',
      '/h2/3',
    ]);
    const headers = (JSON.parse(answers[0]?.text ?? '{}') as { headers: Record<string, string> }).headers;
    expect(headers.host).toBe('orders.shop.mesh');
    expect(headers['x-forwarded-for']).toBe('127.0.0.1');
    expect((await call('nope.shop.mesh', '/')).status).toBe(404);
  });

  it('stops the upstream response when an HTTP/2 caller resets its stream', async () => {
    const upstreamClosed = new Promise<boolean>((resolve) => {
      orders.server.on('request', (_req, res: import('node:http').ServerResponse) => {
        res.on('close', () => resolve(res.writableEnded));
      });
    });
    const session = connectH2(url(''));
    resources.add(session, async (s) => void s.destroy());
    session.on('error', () => undefined);
    const stream = session.request({
      ':method': 'GET',
      ':path': '/stream?chunks=100000',
      ':authority': 'orders.shop.mesh',
    });
    stream.on('error', () => undefined);
    // The first chunk has come through the proxy: the caller goes away mid-body.
    await new Promise((resolve) => stream.once('data', resolve));
    stream.close(0x8 /* CANCEL */);
    // The backend's response closed before it ended: the proxy gave the upstream request up.
    expect(await upstreamClosed).toBe(false);
  });

  it('while it drains, finishes the response in flight and answers 503 to a request behind it, then closes', async () => {
    const socket = connect({ host: '127.0.0.1', port: entry });
    const chunks: Buffer[] = [];
    socket.on('data', (d) => chunks.push(d));
    const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
    socket.write('GET /stream?chunks=30 HTTP/1.1\r\nHost: orders.shop.mesh\r\n\r\n');
    await new Promise((r) => setTimeout(r, 40));
    const stopped = proxy.stop();
    await new Promise((r) => setTimeout(r, 20));
    socket.write('GET /a HTTP/1.1\r\nHost: orders.shop.mesh\r\n\r\n');
    await Promise.race([closed, new Promise((r) => setTimeout(r, 3_000))]);
    socket.destroy();
    await stopped;
    const text = Buffer.concat(chunks).toString('latin1');
    expect(text).toMatch(/^HTTP\/1\.1 200 /);
    expect(text).toContain('chunk 29');
    expect(text).toMatch(/HTTP\/1\.1 503 .*x-nodemesh-error: NM_DRAINING/is);
  });

  it('answers 400 to a malformed request and closes', async () => {
    const answer = await rawExchange(entry, 'GET / HTTP/1.1\r\nHost: orders.shop.mesh\r\nBad Header\r\n\r\n');
    expect(answer).toMatch(/^HTTP\/1\.1 400 /);
  });

  it('answers 431 to oversized headers and closes', async () => {
    const answer = await rawExchange(
      entry,
      `GET / HTTP/1.1\r\nHost: orders.shop.mesh\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`,
    );
    expect(answer).toMatch(/^HTTP\/1\.1 431 /);
  });

  it('tunnels WebSocket upgrades', async () => {
    const wss = new WebSocketServer({ server: orders.server });
    resources.add(wss, (w) => new Promise<void>((resolve) => w.close(() => resolve())));
    wss.on('connection', (ws, req) => {
      ws.on('message', (data) => ws.send(`echo ${data.toString()} via ${req.headers['x-forwarded-for']}`));
    });
    const ws = new WebSocket(url('/ws').replace('http', 'ws'), { headers: { host: 'orders.shop.mesh' } });
    resources.add(ws, async (w) => w.terminate());
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    const replies: string[] = [];
    for (let i = 0; i < 3; i++) {
      const reply = new Promise<string>((resolve) => ws.once('message', (d) => resolve(d.toString())));
      ws.send(`hi ${i}`);
      replies.push(await reply);
    }
    expect(replies).toEqual([
      'echo hi 0 via 127.0.0.1',
      'echo hi 1 via 127.0.0.1',
      'echo hi 2 via 127.0.0.1',
    ]);
  });

  it('answers 502 to an upgrade whose endpoint refuses', async () => {
    await proxy.applyInputs(
      topologyInputs({
        services: [ordersSvc],
        endpoints: { 'shop/orders': readyEndpoints([{ address: '127.0.0.1', port: 1 }]) },
      }),
    );
    const answer = await rawExchange(
      entry,
      'GET / HTTP/1.1\r\nHost: orders.shop.mesh\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n',
    );
    expect(answer).toMatch(/^HTTP\/1\.1 502 /);
  });

  it('answers 404 to an upgrade for an unknown Host', async () => {
    const answer = await rawExchange(
      entry,
      'GET / HTTP/1.1\r\nHost: x.y.mesh\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n',
    );
    expect(answer).toMatch(/^HTTP\/1\.1 404 /);
  });
});
