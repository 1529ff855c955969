/**
 * The tunnel between node proxies on real sockets on 127.0.0.1, with a mesh CA made here: what is carried,
 * what is refused and why, session reuse and rotation, and a server that outlives hostile peers.
 */
import { once } from 'node:events';
import { createServer as createHttpServer } from 'node:http';
import {
  type ClientHttp2Stream,
  connect as connectH2,
  constants,
  type IncomingHttpHeaders,
} from 'node:http2';
import { type AddressInfo, connect as connectTcp, createServer, type Server, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { connect as connectTls, createSecureContext, type SecureContext } from 'node:tls';
import { silentLogger } from '@nodemesh/kube-runtime';
import { Client } from 'undici';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  type Authorise,
  REFUSAL_HEADER,
  TUNNEL_SERVER_NAME,
  TunnelClient,
  type TunnelClientOptions,
  TunnelError,
  TunnelServer,
  type TunnelServerOptions,
} from '../../src/index.js';
import { Resources } from '../support.js';
import { type TestCa, testCa } from './test-ca.js';

const TRUST_DOMAIN = 'cluster.local';
const NODE_PROXY = {
  trustDomain: TRUST_DOMAIN,
  namespace: 'nodemesh',
  serviceAccount: 'nodemesh-node-proxy',
};
const NODE_PROXY_ID = 'spiffe://cluster.local/ns/nodemesh/sa/nodemesh-node-proxy';
const ORDERS = { namespace: 'shop', serviceAccount: 'orders' };
const ORDERS_ID = 'spiffe://cluster.local/ns/shop/sa/orders';
const INTRUDER_ID = 'spiffe://cluster.local/ns/shop/sa/intruder';

let ca: TestCa;
let serverContext: SecureContext;
const resources = new Resources();
afterEach(() => resources.closeAll());

beforeAll(async () => {
  ca = await testCa();
  serverContext = await ca.context(NODE_PROXY_ID);
});

/** A pod: echoes what it reads and, once the caller has ended its side, writes `bye` and ends its own. */
async function echoPod(): Promise<number> {
  const server = createServer({ allowHalfOpen: true }, (socket) => {
    socket.on('error', () => socket.destroy());
    socket.on('data', (chunk) => socket.write(chunk));
    socket.on('end', () => socket.end('bye'));
  });
  return listen(server);
}

async function listen(server: Server): Promise<number> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  resources.add(server, (s) => new Promise<void>((resolve) => s.close(() => resolve())));
  return (server.address() as AddressInfo).port;
}

/** Pods of "this node" are on 127.0.0.1; anything else is elsewhere. Only `orders` may call. */
const authorise: Authorise = ({ source, podIP }) => {
  if (podIP !== '127.0.0.1') return { kind: 'not-on-this-node' };
  if (source.namespace === 'shop' && source.serviceAccount === 'orders') return { kind: 'allowed' };
  return { kind: 'denied-by-policy', detail: 'no TrafficTarget for this source' };
};

async function startServer(options: Partial<TunnelServerOptions> = {}): Promise<TunnelServer> {
  const server = new TunnelServer({
    trustDomain: TRUST_DOMAIN,
    secureContext: () => serverContext,
    authorise,
    logger: silentLogger,
    ...options,
  });
  await server.listen('127.0.0.1', 0);
  resources.add(server, (s) => s.close(100));
  return server;
}

function client(
  contexts: Map<string, SecureContext>,
  options: Partial<TunnelClientOptions> = {},
): TunnelClient {
  const tunnel = new TunnelClient({
    serverIdentity: NODE_PROXY,
    secureContextFor: (ns, sa) => contexts.get(`${ns}/${sa}`),
    ...options,
  });
  resources.add(tunnel, (t) => t.close());
  return tunnel;
}

async function ordersClient(options: Partial<TunnelClientOptions> = {}) {
  return client(new Map([['shop/orders', await ca.context(ORDERS_ID)]]), options);
}

const node = (server: TunnelServer) => ({ address: '127.0.0.1', port: server.boundPort() ?? 0 });

async function readAll(stream: Duplex): Promise<string> {
  let text = '';
  for await (const chunk of stream) text += String(chunk);
  return text;
}

async function refusal(promise: Promise<unknown>): Promise<TunnelError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof TunnelError)) throw new Error(`expected a TunnelError, got ${String(error)}`);
  return error;
}

const until = async (check: () => boolean, ms = 5_000) => {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 10));
  }
};

describe('an allowed tunnel stream', () => {
  it('carries bytes both ways and passes each side’s end on to the other', async () => {
    const server = await startServer();
    const pod = await echoPod();
    const tunnel = await ordersClient();
    const stream = await tunnel.open(ORDERS, node(server), { podIP: '127.0.0.1', port: pod });
    stream.write('hello ');
    const firstEcho = await once(stream, 'data');
    expect(String(firstEcho[0])).toBe('hello ');
    // Half-close: our end reaches the pod as a FIN; it still answers, then ends its side.
    stream.end('world');
    expect(await readAll(stream)).toBe('worldbye');
    await until(() => server.counts.streamsOpen === 0);
    expect(server.counts).toMatchObject({
      handshakes: 1,
      streamsAccepted: 1,
      bytesToPods: 'hello world'.length,
      bytesFromPods: 'hello worldbye'.length,
    });
  });

  it('carries a megabyte each way with back-pressure', async () => {
    const server = await startServer();
    const pod = await echoPod();
    const tunnel = await ordersClient();
    const stream = await tunnel.open(ORDERS, node(server), { podIP: '127.0.0.1', port: pod });
    const block = Buffer.alloc(64 * 1024, 'x');
    const received = (async () => {
      let bytes = 0;
      for await (const chunk of stream) bytes += (chunk as Buffer).length;
      return bytes;
    })();
    for (let i = 0; i < 16; i++) if (!stream.write(block)) await once(stream, 'drain');
    stream.end();
    expect(await received).toBe(16 * block.length + 'bye'.length);
  });

  it('lets an undici Client speak HTTP through a tunnel stream as its connection', async () => {
    const server = await startServer();
    const http = createHttpServer((req, res) => res.end(`hello ${req.url} via ${req.headers.host}`));
    const pod = await listen(http as unknown as Server);
    const tunnel = await ordersClient();
    const undici = new Client('http://orders.shop.mesh:8080', {
      connect: (_options, callback) => {
        tunnel.open(ORDERS, node(server), { podIP: '127.0.0.1', port: pod }).then(
          (stream) => callback(null, stream as unknown as Socket),
          (error: Error) => callback(error, null),
        );
      },
    });
    resources.add(undici, (c) => c.close());
    for (const path of ['/one', '/two']) {
      const response = await undici.request({ path, method: 'GET' });
      expect(response.statusCode).toBe(200);
      expect(await response.body.text()).toBe(`hello ${path} via orders.shop.mesh:8080`);
    }
    // Keep-alive: both requests went over one tunnel stream.
    expect(server.counts.streamsAccepted).toBe(1);
  });
});

describe('errors on either side of a stream', () => {
  it('resets the tunnel stream with CONNECT_ERROR when the pod resets its connection', async () => {
    const server = await startServer();
    const resetting = createServer((socket) => {
      socket.once('data', () => socket.resetAndDestroy());
    });
    const pod = await listen(resetting);
    const tunnel = await ordersClient();
    const stream = (await tunnel.open(ORDERS, node(server), {
      podIP: '127.0.0.1',
      port: pod,
    })) as ClientHttp2Stream;
    const closed = new Promise((resolve) => stream.once('close', resolve));
    stream.on('error', () => undefined);
    stream.resume();
    stream.write('boom');
    await closed;
    expect(stream.rstCode).toBe(constants.NGHTTP2_CONNECT_ERROR);
  });

  it('closes the pod connection when the caller resets the stream', async () => {
    const server = await startServer();
    let podSide: Socket | undefined;
    const pod = await listen(
      createServer((socket) => {
        podSide = socket;
        socket.on('error', () => undefined);
        socket.pipe(socket);
      }),
    );
    const tunnel = await ordersClient();
    const stream = (await tunnel.open(ORDERS, node(server), {
      podIP: '127.0.0.1',
      port: pod,
    })) as ClientHttp2Stream;
    stream.write('x');
    await once(stream, 'data');
    const closed = once(podSide as Socket, 'close');
    stream.close(constants.NGHTTP2_CANCEL);
    await closed;
    await until(() => server.counts.streamsOpen === 0);
  });

  it('fails closed when authorise throws', async () => {
    const server = await startServer({
      authorise: () => {
        throw new Error('policy not loaded');
      },
    });
    const tunnel = await ordersClient();
    expect(await refusal(tunnel.open(ORDERS, node(server), { podIP: '127.0.0.1', port: 9 }))).toMatchObject({
      refusal: 'denied-by-policy',
      status: 403,
    });
  });
});

describe('certificates and roots of the destination change without a restart', () => {
  it('reads its certificate and trusted roots at each handshake', async () => {
    const next = await testCa('next');
    let context = serverContext; // trusts the first root only
    const server = await startServer({ secureContext: () => context });
    const pod = await echoPod();
    const target = { podIP: '127.0.0.1', port: pod };
    const fromNextRoot = () =>
      next.context(ORDERS_ID, ca.rootPem + next.rootPem).then((c) => client(new Map([['shop/orders', c]])));
    expect(await refusal((await fromNextRoot()).open(ORDERS, node(server), target))).toMatchObject({
      kind: 'connect-failed',
    });
    // Step one of a root rotation: the destination trusts both roots, with a certificate from the new one.
    const { keyPem, chainPem } = await next.leaf(NODE_PROXY_ID);
    context = createSecureContext({
      key: keyPem,
      cert: chainPem,
      ca: ca.rootPem + next.rootPem,
      minVersion: 'TLSv1.3',
    });
    const stream = await (await fromNextRoot()).open(ORDERS, node(server), target);
    stream.end('rotated');
    expect(await readAll(stream)).toBe('rotatedbye');
    const old = await ordersClient(); // trusts the first root only, so not the new server certificate
    expect(await refusal(old.open(ORDERS, node(server), target))).toMatchObject({ kind: 'connect-failed' });
  });
});

describe('one session per caller identity and destination node', () => {
  it('carries 100 calls over one TLS handshake', async () => {
    const server = await startServer();
    const pod = await echoPod();
    const tunnel = await ordersClient();
    for (let i = 0; i < 100; i++) {
      const stream = await tunnel.open(ORDERS, node(server), { podIP: '127.0.0.1', port: pod });
      stream.end(`call ${i}`);
      expect(await readAll(stream)).toBe(`call ${i}bye`);
    }
    expect(server.counts.handshakes).toBe(1);
    expect(tunnel.counts.handshakes).toBe(1);
    expect(server.counts.streamsAccepted).toBe(100);
  });

  it('opens a new session for new calls when the caller certificate is renewed; an open stream finishes on the old', async () => {
    const server = await startServer();
    const pod = await echoPod();
    const contexts = new Map([['shop/orders', await ca.context(ORDERS_ID)]]);
    const tunnel = client(contexts);
    const old = await tunnel.open(ORDERS, node(server), { podIP: '127.0.0.1', port: pod });
    old.write('before ');
    await once(old, 'data');

    contexts.set('shop/orders', await ca.context(ORDERS_ID)); // renewal: a new key and certificate
    const renewed = await tunnel.open(ORDERS, node(server), { podIP: '127.0.0.1', port: pod });
    expect(tunnel.counts.rotations).toBe(1);
    expect(server.counts.handshakes).toBe(2);
    expect(tunnel.sessions).toBe(2);

    // The old stream still works on the retired session, and that session closes after it.
    old.end('after');
    expect(await readAll(old)).toBe('afterbye');
    renewed.end('new');
    expect(await readAll(renewed)).toBe('newbye');
    await until(() => tunnel.sessions === 1);
    const third = await tunnel.open(ORDERS, node(server), { podIP: '127.0.0.1', port: pod });
    third.end();
    await readAll(third);
    expect(server.counts.handshakes).toBe(2);
  });

  it('closes an idle session and replaces one the server sent away', async () => {
    const server = await startServer({ sessionIdleTimeoutMs: 200 });
    const pod = await echoPod();
    const tunnel = await ordersClient({ idleTimeoutMs: 60_000 });
    const call = async () => {
      const stream = await tunnel.open(ORDERS, node(server), { podIP: '127.0.0.1', port: pod });
      stream.end('x');
      return readAll(stream);
    };
    expect(await call()).toBe('xbye');
    // The server's idle timeout sends GOAWAY; the client drops the session and the next call makes a new one.
    await until(() => tunnel.sessions === 0);
    expect(await call()).toBe('xbye');
    expect(server.counts.handshakes).toBe(2);

    const quick = await ordersClient({ idleTimeoutMs: 100 });
    const stream = await quick.open(ORDERS, node(server), { podIP: '127.0.0.1', port: pod });
    stream.end();
    await readAll(stream);
    await until(() => quick.sessions === 0);
  });
});

describe('refusals, each with its reason', () => {
  it('refuses a source no policy admits (403) and a pod that is not on this node (421)', async () => {
    const server = await startServer();
    const pod = await echoPod();
    const tunnel = client(new Map([['shop/intruder', await ca.context(INTRUDER_ID)]]));
    const denied = await refusal(
      tunnel.open({ namespace: 'shop', serviceAccount: 'intruder' }, node(server), {
        podIP: '127.0.0.1',
        port: pod,
      }),
    );
    expect(denied).toMatchObject({ kind: 'refused', refusal: 'denied-by-policy', status: 403 });
    const orders = await ordersClient();
    const elsewhere = await refusal(orders.open(ORDERS, node(server), { podIP: '10.9.9.9', port: pod }));
    expect(elsewhere).toMatchObject({ kind: 'refused', refusal: 'not-on-this-node', status: 421 });
    expect(server.counts.streamsRefused).toMatchObject({ 'denied-by-policy': 1, 'not-on-this-node': 1 });
    expect(server.counts.streamsAccepted).toBe(0);
  });

  it('answers 503 when the pod refuses the connection', async () => {
    const server = await startServer();
    const probe = createServer().listen(0, '127.0.0.1');
    await once(probe, 'listening');
    const closed = (probe.address() as AddressInfo).port;
    await new Promise((resolve) => probe.close(resolve)); // nothing listens there any more
    const tunnel = await ordersClient();
    const error = await refusal(tunnel.open(ORDERS, node(server), { podIP: '127.0.0.1', port: closed }));
    expect(error).toMatchObject({ refusal: 'upstream-unreachable', status: 503 });
    expect(server.counts.streamsRefused['upstream-unreachable']).toBe(1);
  });

  it('refuses a client without a certificate, with one from another CA, or for another trust domain', async () => {
    const server = await startServer();
    const pod = await echoPod();
    const target = { podIP: '127.0.0.1', port: pod };
    const noCert = client(
      new Map([['shop/orders', createSecureContext({ ca: ca.rootPem, minVersion: 'TLSv1.3' })]]),
    );
    expect(await refusal(noCert.open(ORDERS, node(server), target))).toMatchObject({
      kind: 'connect-failed',
    });
    const stranger = await testCa('stranger');
    const foreign = client(new Map([['shop/orders', await stranger.context(ORDERS_ID, ca.rootPem)]]));
    expect(await refusal(foreign.open(ORDERS, node(server), target))).toMatchObject({
      kind: 'connect-failed',
    });
    const otherDomain = client(
      new Map([['shop/orders', await ca.context('spiffe://other.example/ns/shop/sa/orders')]]),
    );
    expect(await refusal(otherDomain.open(ORDERS, node(server), target))).toMatchObject({
      kind: 'refused',
      refusal: 'no-identity',
      status: 401,
    });
    await until(() => server.counts.connectionsRefused['untrusted-certificate'] === 1);
    expect(server.counts.connectionsRefused).toMatchObject({
      'no-certificate': 1,
      'untrusted-certificate': 1,
    });
    expect(server.counts.streamsAccepted).toBe(0);
  });

  it('refuses a server that is not a node proxy of this mesh', async () => {
    const impostorContext = await ca.context(INTRUDER_ID);
    const server = await startServer({ secureContext: () => impostorContext });
    const pod = await echoPod();
    const tunnel = await ordersClient();
    const error = await refusal(tunnel.open(ORDERS, node(server), { podIP: '127.0.0.1', port: pod }));
    expect(error.kind).toBe('connect-failed');
    expect(error.message).toContain('not spiffe://cluster.local/ns/nodemesh/sa/nodemesh-node-proxy');
  });

  it('says so when the caller has no certificate on this node', async () => {
    const tunnel = client(new Map());
    expect(
      await refusal(tunnel.open(ORDERS, { address: '127.0.0.1', port: 1 }, { podIP: '127.0.0.1', port: 1 })),
    ).toMatchObject({ kind: 'no-certificate' });
  });
});

describe('hostile peers', () => {
  /** A raw HTTP/2 session with a valid caller certificate, to send what our client never would. */
  async function rawSession(server: TunnelServer) {
    const session = connectH2(`https://127.0.0.1:${server.boundPort()}`, {
      secureContext: await ca.context(ORDERS_ID),
      servername: TUNNEL_SERVER_NAME,
      checkServerIdentity: () => undefined,
    });
    session.on('error', () => undefined);
    resources.add(session, async (s) => {
      s.destroy();
    });
    return session;
  }

  async function answer(stream: ReturnType<Awaited<ReturnType<typeof rawSession>>['request']>) {
    const [headers] = (await once(stream, 'response')) as [IncomingHttpHeaders];
    stream.resume();
    return { status: headers[':status'], refusal: headers[REFUSAL_HEADER] };
  }

  it('refuses other methods and authorities that are not podIP:port', async () => {
    const server = await startServer();
    const session = await rawSession(server);
    expect(await answer(session.request({ ':method': 'GET', ':path': '/' }))).toEqual({
      status: 405,
      refusal: 'not-connect',
    });
    for (const authority of ['orders.shop.svc:80', '127.0.0.1:0', '127.0.0.1:99999', '127.0.0.1:080']) {
      expect(await answer(session.request({ ':method': 'CONNECT', ':authority': authority }))).toEqual({
        status: 400,
        refusal: 'bad-authority',
      });
    }
    expect(server.counts.streamsRefused['bad-authority']).toBe(4);
  });

  it('frees the slot of a refused stream at once, though the caller never ends its side', async () => {
    const server = await startServer({ maxConcurrentStreams: 2 });
    const session = await rawSession(server);
    for (let i = 0; i < 10; i++) {
      const stream = session.request({ ':method': 'CONNECT', ':authority': '10.9.9.9:80' });
      expect(await answer(stream)).toEqual({ status: 421, refusal: 'not-on-this-node' });
    }
    expect(server.counts.streamsRefused['not-on-this-node']).toBe(10);
  });

  it('refuses a TLS 1.2 client and survives garbage bytes and silent clients', async () => {
    const server = await startServer({ handshakeTimeoutMs: 300 });
    const port = server.boundPort() ?? 0;
    const old = connectTls({
      host: '127.0.0.1',
      port,
      servername: TUNNEL_SERVER_NAME,
      secureContext: createSecureContext({ ca: ca.rootPem, maxVersion: 'TLSv1.2' }),
    });
    const [error] = (await once(old, 'error')) as [Error];
    expect(error.message).toMatch(/protocol version|alert/i);

    const garbage = connectTcp(port, '127.0.0.1');
    garbage.on('error', () => undefined);
    garbage.write(Buffer.from('GET / HTTP/1.1\r\n\r\n\x16\x03\x01\xff\xff garbage \x00\x01\x02'));
    await once(garbage, 'close');

    const silent = connectTcp(port, '127.0.0.1');
    silent.on('error', () => undefined);
    const started = Date.now();
    await once(silent, 'close');
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(server.counts.connectionsRefused['tls-error']).toBeGreaterThanOrEqual(3);

    // Still serving.
    const pod = await echoPod();
    const tunnel = await ordersClient();
    const stream = await tunnel.open(ORDERS, node(server), { podIP: '127.0.0.1', port: pod });
    stream.end('alive');
    expect(await readAll(stream)).toBe('alivebye');
  });

  it('holds each connection to its stream limit and each identity to its connection limit', async () => {
    const server = await startServer({ maxConcurrentStreams: 2, maxConnectionsPerIdentity: 1 });
    const pod = await echoPod();
    const tunnel = await ordersClient();
    const target = { podIP: '127.0.0.1', port: pod };
    const first = await tunnel.open(ORDERS, node(server), target);
    await tunnel.open(ORDERS, node(server), target);
    let third: Duplex | undefined;
    void tunnel.open(ORDERS, node(server), target).then((s) => {
      third = s;
    });
    await new Promise((r) => setTimeout(r, 200));
    expect(third).toBeUndefined();
    expect(server.counts.streamsOpen).toBe(2);
    first.end();
    await readAll(first);
    await until(() => third !== undefined);

    // A second pool of the same identity needs a second connection: over the limit.
    const another = await ordersClient();
    expect(await refusal(another.open(ORDERS, node(server), target))).toMatchObject({
      kind: 'connect-failed',
    });
    expect(server.counts.connectionsRefused['too-many-connections']).toBe(1);
  });
});
