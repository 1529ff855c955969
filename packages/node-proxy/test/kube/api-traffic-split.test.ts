/**
 * TrafficSplits applied through the in-memory API server, measured at the proxy: 100/0, 0/100 and 75/25
 * (within a binomial tolerance), and routes changing while other Services are under load.
 */
import { Agent, type Server as HttpServer } from 'node:http';
import { type AddressInfo, connect, createServer } from 'node:net';
import { type ApiServer, startApiServer } from '@nodemesh/apiserver';
import { shadowServiceName } from '@nodemesh/smi-types';
import { Pool } from 'undici';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import type { RunningNodeProxy } from '../../src/index.js';
import { httpBackend, Resources, tcpEchoBackend, udpEchoBackend } from '../support.js';
import { send, startMeshProxy, tcpRoundTrip, UdpClient, withTimeout } from './api-harness.js';
import { Api, type Json, waitFor } from './kube-fixtures.js';

let resources: Resources;
let server: ApiServer;
let api: Api;
let running: RunningNodeProxy;
let client: Pool;
let tcpPort: number;
let v1Server: HttpServer;
let v2Server: HttpServer;
let udpPort: number;

/** A Service `name` in shop selecting app=`app`, its ports aimed at `backendPort`. */
function userService(name: string, app: string, ports: Json[], backendPort: number, annotations = {}) {
  return api.create('/api/v1/namespaces/shop/services', {
    metadata: { name, annotations },
    spec: { selector: { app }, ports: ports.map((p) => ({ ...p, targetPort: backendPort })) },
  });
}

const httpPort = [{ name: 'http', port: 80, protocol: 'TCP' }];
const pod = (app: string) =>
  api.pod('shop', `${app}-pod`, { node: 'node-b', ip: '127.0.0.1', labels: { app } });

/** Sends `count` sequential requests to `host` and counts the answering backends (or statuses). */
async function tally(count: number, host = 'orders.shop.mesh'): Promise<Record<string, number>> {
  const seen: Record<string, number> = {};
  for (let i = 0; i < count; i++) {
    const res = await client.request({ method: 'GET', path: '/', headers: { host } });
    await res.body.text();
    const backend = res.headers['x-backend'];
    const name = typeof backend === 'string' ? backend : `status ${res.statusCode}`;
    seen[name] = (seen[name] ?? 0) + 1;
  }
  return seen;
}

const splitOf = (host: string) => running.proxy.snapshot.http.get(5000)?.hosts.get(host)?.split;

/** Applies a split of orders and waits until the proxy routes with these weights to ready endpoints. */
async function applyOrdersSplit(v1: number, v2: number): Promise<void> {
  await api.applySplit(
    api.trafficSplit('shop', 'orders-split', 'orders', [
      ['orders-v1', v1],
      ['orders-v2', v2],
    ]),
  );
  await waitFor(`the ${v1}/${v2} split`, () => {
    const backends = splitOf('orders.shop.mesh')?.backends ?? [];
    const weight = (name: string) => backends.find((b) => b.service.name === name)?.weight ?? 0;
    const live = backends.every((b) => b.weight === 0 || b.endpoints.length > 0);
    return backends.length > 0 && live && weight('orders-v1') === v1 && weight('orders-v2') === v2;
  });
}

beforeEach(async () => {
  resources = new Resources();
  server = resources.add(await startApiServer(), (s) => s.stop());
  api = new Api(server.url);
  await api.namespace('shop');
  await api.namespace('nodemesh');
  await api.installSmiCrds();
  v1Server = (await httpBackend(resources, 'v1')).server;
  v2Server = (await httpBackend(resources, 'v2')).server;
  const v1 = (v1Server.address() as AddressInfo).port;
  const v2 = (v2Server.address() as AddressInfo).port;
  const payments = (await httpBackend(resources, 'payments')).port;
  const orders = await userService('orders', 'orders-v1', httpPort, v1);
  await userService('orders-v1', 'orders-v1', httpPort, v1);
  await userService('orders-v2', 'orders-v2', httpPort, v2);
  const paymentsSvc = await userService('payments', 'payments', httpPort, payments);
  const db = await userService(
    'db',
    'db',
    [{ name: 'pg', port: 5432, protocol: 'TCP' }],
    await tcpEchoBackend(resources),
    {
      'nodemesh.io/traffic-type': 'tcp',
    },
  );
  const dns = await userService(
    'dns',
    'dns',
    [{ name: 'dns', port: 53, protocol: 'UDP' }],
    await udpEchoBackend(resources, 'dns'),
    {
      'nodemesh.io/traffic-type': 'udp',
    },
  );
  for (const app of ['orders-v1', 'orders-v2', 'payments', 'db', 'dns']) await pod(app);
  await api.meshShadow(orders);
  await api.meshShadow(paymentsSvc);
  const dbProxy = (await api.meshShadow(db)).get('TCP/5432') ?? 0;
  const dnsProxy = (await api.meshShadow(dns)).get('UDP/53') ?? 0;

  running = await startMeshProxy(resources, server.url);
  await waitFor('every listener', () =>
    [
      running.proxy.boundPort('http', 5000),
      running.proxy.boundPort('tcp', dbProxy),
      running.proxy.boundPort('udp', dnsProxy),
    ].every((p) => p !== undefined),
  );
  tcpPort = running.proxy.boundPort('tcp', dbProxy) ?? 0;
  udpPort = running.proxy.boundPort('udp', dnsProxy) ?? 0;
  client = resources.add(
    new Pool(`http://127.0.0.1:${running.proxy.boundPort('http', 5000)}`, { connections: 4 }),
    (c) => c.close(),
  );
  await waitFor('orders to answer', async () => (await tally(1)).v1 === 1);
  await waitFor('payments to answer', async () => (await tally(1, 'payments.shop.mesh')).payments === 1);
}, 30_000);

afterEach(async () => {
  await resources.closeAll();
});

describe('TrafficSplit applied through the API server', () => {
  it('100/0 sends everything to the first backend, 0/100 everything to the second', async () => {
    await applyOrdersSplit(100, 0);
    expect(await tally(200)).toEqual({ v1: 200 });
    await applyOrdersSplit(0, 100);
    expect(await tally(200)).toEqual({ v2: 200 });
  });

  it('75/25 is honoured within a binomial tolerance over 400 requests', async () => {
    await applyOrdersSplit(75, 25);
    const n = 400;
    const p = 0.75;
    const seen = await tally(n);
    expect((seen.v1 ?? 0) + (seen.v2 ?? 0)).toBe(n);
    // v1's count is Binomial(400, 0.75): mean 300, sd sqrt(400 * 0.75 * 0.25) ≈ 8.66. Five sd (±44)
    // fails a correct proxy with probability below 1e-6, and still catches 50/50 (mean 200) or 100/0.
    const sd = Math.sqrt(n * p * (1 - p));
    expect(Math.abs((seen.v1 ?? 0) - n * p)).toBeLessThanOrEqual(Math.ceil(5 * sd));
  });
  it('re-routes the next request on a kept-alive connection, and leaves an open WebSocket where it was', async () => {
    for (const [server, name] of [
      [v1Server, 'v1'],
      [v2Server, 'v2'],
    ] as const) {
      const wss = new WebSocketServer({ server });
      resources.add(wss, (w) => new Promise<void>((resolve) => w.close(() => resolve())));
      wss.on('connection', (ws) => ws.on('message', (data) => ws.send(`${name}:${data.toString()}`)));
    }
    const entry = running.proxy.boundPort('http', 5000) ?? 0;
    const openSocket = async () => {
      const ws = new WebSocket(`ws://127.0.0.1:${entry}/ws`, { headers: { host: 'orders.shop.mesh' } });
      resources.add(ws, async (w) => w.terminate());
      await withTimeout(
        new Promise<void>((resolve, reject) => {
          ws.once('open', () => resolve());
          ws.once('error', reject);
        }),
        5_000,
        'the WebSocket to open',
      );
      return ws;
    };
    const ask = (ws: WebSocket, text: string) =>
      withTimeout(
        new Promise<string>((resolve) => {
          ws.once('message', (d: Buffer) => resolve(d.toString()));
          ws.send(text);
        }),
        5_000,
        `the answer to ${text}`,
      );
    const agent = resources.add(new Agent({ keepAlive: true, maxSockets: 1 }), async (a) => a.destroy());
    const backendOf = async () => {
      const answer = await send(agent, entry, 'orders.shop.mesh', '/');
      return { backend: answer.headers['x-backend'], socket: answer.socket };
    };
    const first = await backendOf();
    expect(first.backend).toBe('v1');
    const before = await openSocket();
    expect(await ask(before, 'one')).toBe('v1:one');

    await applyOrdersSplit(0, 100);
    const after = await backendOf();
    expect(after.backend).toBe('v2');
    expect(after.socket).toBe(first.socket);
    // The tunnel opened before the change stays with its backend; a new one goes to v2.
    expect(await ask(before, 'two')).toBe('v1:two');
    expect(await ask(await openSocket(), 'three')).toBe('v2:three');
  });
});

/** A loop of requests that records failures, bounded in count and stopped by `stop()`. */
interface Load {
  readonly done: Promise<void>;
  readonly ok: () => number;
  readonly failures: string[];
  readonly seen: Record<string, number>;
}

function load(
  name: string,
  maxIterations: number,
  once: (i: number) => Promise<string>,
): Load & { stop(): void } {
  let stopped = false;
  let ok = 0;
  const failures: string[] = [];
  const seen: Record<string, number> = {};
  const done = (async () => {
    for (let i = 0; i < maxIterations && !stopped; i++) {
      try {
        const answer = await once(i);
        seen[answer] = (seen[answer] ?? 0) + 1;
        ok++;
      } catch (error) {
        failures.push(`${name} #${i}: ${String(error)}`);
      }
    }
  })();
  return {
    done,
    ok: () => ok,
    failures,
    seen,
    stop: () => {
      stopped = true;
    },
  };
}

/** A TCP server that answers every connection's half-close with `name:` and what it received. */
async function namedTcpBackend(name: string): Promise<number> {
  const server = createServer({ allowHalfOpen: true }, (socket) => {
    const chunks: Buffer[] = [];
    socket.on('error', () => socket.destroy());
    socket.on('data', (d: Buffer) => chunks.push(d));
    socket.on('end', () => socket.end(`${name}:${Buffer.concat(chunks).toString()}`));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  resources.add(server, (s) => new Promise<void>((resolve) => s.close(() => resolve())));
  return (server.address() as AddressInfo).port;
}

describe('TrafficSplit on tcp and udp Services, applied through the API server', () => {
  it('moves new TCP connections and UDP sessions to the other backend, 0/100 then 100/0', async () => {
    const tcpPorts = [{ name: 'store', port: 7000, protocol: 'TCP' }];
    const udpPorts = [{ name: 'lookup', port: 53, protocol: 'UDP' }];
    const tcp = { 'nodemesh.io/traffic-type': 'tcp' };
    const udp = { 'nodemesh.io/traffic-type': 'udp' };
    const storeA = await namedTcpBackend('store-a');
    const store = await userService('store', 'store-a', tcpPorts, storeA, tcp);
    await userService('store-a', 'store-a', tcpPorts, storeA, tcp);
    await userService('store-b', 'store-b', tcpPorts, await namedTcpBackend('store-b'), tcp);
    const lookupA = await udpEchoBackend(resources, 'lookup-a');
    const lookup = await userService('lookup', 'lookup-a', udpPorts, lookupA, udp);
    await userService('lookup-a', 'lookup-a', udpPorts, lookupA, udp);
    await userService('lookup-b', 'lookup-b', udpPorts, await udpEchoBackend(resources, 'lookup-b'), udp);
    for (const app of ['store-a', 'store-b', 'lookup-a', 'lookup-b']) await pod(app);
    const storeProxy = (await api.meshShadow(store)).get('TCP/7000') ?? 0;
    const lookupProxy = (await api.meshShadow(lookup)).get('UDP/53') ?? 0;
    await waitFor(
      'the store and lookup listeners',
      () =>
        running.proxy.boundPort('tcp', storeProxy) !== undefined &&
        running.proxy.boundPort('udp', lookupProxy) !== undefined,
    );
    const storePort = running.proxy.boundPort('tcp', storeProxy) ?? 0;
    const lookupPort = running.proxy.boundPort('udp', lookupProxy) ?? 0;
    const storeAnswers = async (n: number) => {
      const seen: Record<string, number> = {};
      for (let i = 0; i < n; i++) {
        const answer = (await tcpRoundTrip(storePort, Buffer.from(`${i}`))).toString();
        const who = answer.slice(0, answer.indexOf(':'));
        expect(answer).toBe(`${who}:${i}`);
        seen[who] = (seen[who] ?? 0) + 1;
      }
      return seen;
    };
    /**
     * Fresh client sockets: each is a new UDP session, so each picks a backend anew. They stay open until the
     * test ends: a closed one's port could be given to a later client, whose datagrams would then join the
     * earlier session the proxy still holds (kept under a new split: weights are for new sessions).
     */
    const lookupAnswers = async (n: number) => {
      const seen: Record<string, number> = {};
      for (let i = 0; i < n; i++) {
        const client = resources.add(new UdpClient(lookupPort), (c) => c.close());
        const answer = (await client.exchange(`${i}`)).toString();
        const who = answer.slice(0, answer.indexOf(':'));
        seen[who] = (seen[who] ?? 0) + 1;
      }
      return seen;
    };
    await waitFor('store to answer', async () => (await storeAnswers(1))['store-a'] === 1);
    await waitFor('lookup to answer', async () => (await lookupAnswers(1))['lookup-a'] === 1);

    for (const [root, a, b] of [
      ['store', 'store-a', 'store-b'],
      ['lookup', 'lookup-a', 'lookup-b'],
    ] as const) {
      await api.applySplit(
        api.trafficSplit('shop', `${root}-split`, root, [
          [a, 0],
          [b, 100],
        ]),
      );
    }
    await waitFor('store on b', async () => (await storeAnswers(1))['store-b'] === 1);
    await waitFor('lookup on b', async () => (await lookupAnswers(1))['lookup-b'] === 1);
    expect(await storeAnswers(30)).toEqual({ 'store-b': 30 });
    expect(await lookupAnswers(30)).toEqual({ 'lookup-b': 30 });

    for (const [root, a, b] of [
      ['store', 'store-a', 'store-b'],
      ['lookup', 'lookup-a', 'lookup-b'],
    ] as const) {
      await api.applySplit(
        api.trafficSplit('shop', `${root}-split`, root, [
          [a, 100],
          [b, 0],
        ]),
      );
    }
    await waitFor('store on a', async () => (await storeAnswers(1))['store-a'] === 1);
    await waitFor('lookup on a', async () => (await lookupAnswers(1))['lookup-a'] === 1);
    expect(await storeAnswers(30)).toEqual({ 'store-a': 30 });
    expect(await lookupAnswers(30)).toEqual({ 'lookup-a': 30 });
  });
});

describe('routes changing under load', () => {
  it('fails no request to the Services that did not change while splits, Services and shadows do', async () => {
    const udp = resources.add(new UdpClient(udpPort), (c) => c.close());
    const http = (host: string) => async () => {
      const res = await client.request({
        method: 'GET',
        path: '/',
        headers: { host },
        headersTimeout: 5_000,
        bodyTimeout: 5_000,
      });
      await res.body.text();
      if (res.statusCode !== 200) throw new Error(`HTTP ${res.statusCode}`);
      return String(res.headers['x-backend']);
    };
    const loads = [
      load('payments', 3_000, http('payments.shop.mesh')),
      load('db', 1_000, async (i) => {
        const answer = (await tcpRoundTrip(tcpPort, Buffer.from(`ping ${i}`))).toString();
        if (answer !== `ping ${i}bye`) throw new Error(`TCP answer ${JSON.stringify(answer)}`);
        return 'db';
      }),
      load('dns', 3_000, async (i) => {
        const answer = (await udp.exchange(`q${i}`)).toString();
        if (answer !== `dns:q${i}`) throw new Error(`UDP answer ${JSON.stringify(answer)}`);
        return 'dns';
      }),
    ];
    const orders = load('orders', 3_000, http('orders.shop.mesh'));
    // One TCP connection to db stays open across every change, and is used before and after them.
    const longLived = connect({ host: '127.0.0.1', port: tcpPort, allowHalfOpen: true });
    resources.add(longLived, async (s) => void s.destroy());
    longLived.on('error', () => undefined);
    let longLivedText = '';
    longLived.on('data', (d: Buffer) => {
      longLivedText += d.toString();
    });
    const longLivedEnded = new Promise<void>((resolve) => longLived.once('end', () => resolve()));
    longLived.write('before;');
    try {
      await waitFor('the long-lived echo', () => longLivedText === 'before;');
      // Every load is running before the first change.
      await waitFor('the loads to get going', () => [...loads, orders].every((l) => l.ok() >= 5));
      await applyOrdersSplit(100, 0);
      await applyOrdersSplit(75, 25);
      await applyOrdersSplit(0, 100);
      await waitFor('orders to reach v2', () => (orders.seen.v2 ?? 0) > 0);
      // A new HTTP Service and a new TCP Service: a new route and a new listener.
      const audit = (await httpBackend(resources, 'audit')).port;
      await pod('audit');
      await api.meshShadow(await userService('audit', 'audit', httpPort, audit));
      const cache = await userService(
        'cache',
        'cache',
        [{ name: 'redis', port: 6379, protocol: 'TCP' }],
        await tcpEchoBackend(resources),
        {
          'nodemesh.io/traffic-type': 'tcp',
        },
      );
      await pod('cache');
      const cacheProxy = (await api.meshShadow(cache)).get('TCP/6379') ?? 0;
      await waitFor('audit to answer', async () => (await http('audit.shop.mesh')()) === 'audit');
      await waitFor('the cache listener', () => running.proxy.boundPort('tcp', cacheProxy) !== undefined);
      const cachePort = running.proxy.boundPort('tcp', cacheProxy) ?? 0;
      await waitFor(
        'cache to answer',
        async () => (await tcpRoundTrip(cachePort, Buffer.from('x'))).toString() === 'xbye',
      );
      // Orders' annotations change (a retry policy) and its split goes away: back to the root Service.
      await api.mergePatch('/api/v1/namespaces/shop/services/orders', {
        metadata: { annotations: { 'nodemesh.io/retry-attempts': '2' } },
      });
      await waitFor(
        'the retry config',
        () => running.proxy.snapshot.services.get('shop/orders')?.retry?.attempts === 2,
      );
      await api.call('DELETE', '/apis/split.smi-spec.io/v1alpha4/namespaces/shop/trafficsplits/orders-split');
      await waitFor('no split', () => splitOf('orders.shop.mesh') === undefined);
      const v1Before = orders.seen.v1 ?? 0;
      await waitFor('orders back on v1', () => (orders.seen.v1 ?? 0) > v1Before);
      // The new Service goes again, and the loads keep going a little after the last change.
      await api.call('DELETE', `/api/v1/namespaces/nodemesh/services/${shadowServiceName('shop', 'audit')}`);
      await waitFor(
        'audit gone',
        () => running.proxy.snapshot.http.get(5000)?.hosts.get('audit.shop.mesh') === undefined,
      );
      const counts = [...loads, orders].map((l) => l.ok());
      await waitFor('more load after the last change', () =>
        [...loads, orders].every((l, i) => l.ok() >= (counts[i] ?? 0) + 5),
      );
      longLived.write('after;');
      await waitFor('the long-lived echo after the changes', () => longLivedText === 'before;after;');
      longLived.end();
      await withTimeout(longLivedEnded, 5_000, 'the long-lived connection to end');
      expect(longLivedText).toBe('before;after;bye');
    } finally {
      for (const l of [...loads, orders]) l.stop();
      await Promise.all([...loads, orders].map((l) => l.done));
    }
    for (const l of loads) {
      expect(l.failures).toEqual([]);
      expect(l.ok()).toBeGreaterThan(10);
    }
    expect(loads[0]?.seen).toEqual({ payments: loads[0]?.ok() });
    // Orders did change, but only between live backends: it never failed either, and saw both.
    expect(orders.failures).toEqual([]);
    expect(Object.keys(orders.seen).sort()).toEqual(['v1', 'v2']);
  }, 60_000);
});
