/**
 * Issue 13, item 2: connections closed before their first byte are released at once, connections are limited
 * per source pod and in total on the data listeners, and the admin endpoints keep answering during a flood.
 * Every flood here is bounded in count and in time.
 */
import { connect, type Socket } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type NodeProxy, staticCallers } from '../../src/index.js';
import { meshService, readyEndpoints, topologyInputs } from '../fixtures.js';
import { CALLER_IPS, httpCall, metricValue } from '../policy/policy-fixtures.js';
import { Resources, startProxy, tcpEchoBackend } from '../support.js';
import { admin, eventually, openFds, recordingBackend, scrape } from './hostile-fixtures.js';

const callers = staticCallers(
  new Map([[CALLER_IPS.a, { namespace: 'web', workload: 'frontend', serviceAccount: 'frontend' }]]),
);

let resources: Resources;
let proxy: NodeProxy;
let http: number;
let tcp: number;

async function start(connections: { maxConnections?: number; maxConnectionsPerSource?: number } = {}) {
  const backend = await recordingBackend(resources);
  const echo = await tcpEchoBackend(resources);
  proxy = await startProxy(resources, { callers, connections });
  await proxy.applyInputs(
    topologyInputs({
      services: [
        meshService('shop', 'orders', [{ port: 80, targetPort: 5000 }]),
        meshService('shop', 'db', [{ port: 5432, targetPort: 10000 }], { trafficType: 'tcp' }),
      ],
      endpoints: {
        'shop/orders': readyEndpoints([{ address: '127.0.0.1', port: backend.port }]),
        'shop/db': readyEndpoints([{ address: '127.0.0.1', port: echo }]),
      },
    }),
  );
  proxy.markSynced();
  http = proxy.boundPort('http', 5000) ?? 0;
  tcp = proxy.boundPort('tcp', 10000) ?? 0;
}

/** Opens a connection from `from` and resolves once connected; it says nothing. */
function silent(port: number, from: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, localAddress: from });
    resources.add(socket, async (s) => void s.destroy());
    socket.on('error', () => undefined);
    socket.once('connect', () => resolve(socket));
    socket.once('error', reject);
  });
}

/**
 * `count` connections that close right after connecting, `parallel` at a time, as a flooding pod would: each
 * sends its FIN and is forgotten, without waiting for the proxy to close its side.
 */
async function connectAndClose(port: number, count: number, parallel: number): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < count) {
      next++;
      await new Promise<void>((resolve) => {
        const socket = connect({ host: '127.0.0.1', port, localAddress: CALLER_IPS.a });
        socket.on('error', () => resolve());
        socket.once('connect', () => socket.end());
        socket.once('finish', () => {
          socket.destroy();
          resolve();
        });
      });
    }
  };
  await Promise.all(Array.from({ length: parallel }, worker));
}

beforeEach(() => {
  resources = new Resources();
});
afterEach(async () => {
  await resources.closeAll();
});

describe('a flood of connect-and-close', () => {
  it('releases every connection at once; /healthz, /readyz and /metrics answer throughout', async () => {
    await start();
    const before = openFds();
    const flood = connectAndClose(http, 1_500, 20);
    let probes = 0;
    let flooding = true;
    const prober = (async () => {
      while (flooding) {
        for (const path of ['/healthz', '/readyz', '/metrics']) {
          expect((await admin(proxy, path, 2_000)).status).toBe(200);
          probes++;
        }
      }
    })();
    const deadline = new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Error('the flood did not end within 20 s')), 20_000),
    );
    try {
      await Promise.race([flood, deadline]);
    } finally {
      flooding = false;
      await prober;
    }
    expect(probes).toBeGreaterThan(0);
    // Nothing is left holding a descriptor (each closed connection held one for 30 s before).
    expect(await eventually(() => openFds() - before < 40, 2_000), `fds ${before} → ${openFds()}`).toBe(true);
    expect((await httpCall(http)).status).toBe(200);
  });
});

describe('connection limits', () => {
  it('per source: the extra connections of one pod are closed at once and counted, other pods are served', async () => {
    await start({ maxConnectionsPerSource: 10 });
    const held = await Promise.all(Array.from({ length: 10 }, () => silent(http, CALLER_IPS.a)));
    const extra = await Promise.all(Array.from({ length: 5 }, () => silent(http, CALLER_IPS.a)));
    expect(await eventually(() => extra.every((s) => s.destroyed), 2_000)).toBe(true);
    expect(held.every((s) => !s.destroyed)).toBe(true);
    expect((await httpCall(http, { from: CALLER_IPS.c })).status).toBe(200);
    // The TCP listeners share the count: this pod has no room there either.
    const tcpExtra = await silent(tcp, CALLER_IPS.a);
    expect(await eventually(() => tcpExtra.destroyed, 2_000)).toBe(true);
    const text = await scrape(proxy);
    const rejected = (protocol: string) =>
      metricValue(text, 'nodemesh_rejected_connections_total', {
        protocol,
        reason: 'source_limit',
        source_workload: 'frontend',
      });
    expect(rejected('http')).toBe(5);
    expect(rejected('tcp')).toBe(1);
    // Closing held connections makes room again.
    for (const socket of held.slice(0, 2)) socket.destroy();
    expect(
      await eventually(
        async () => (await httpCall(http, { from: CALLER_IPS.a }).catch(() => undefined))?.status === 200,
      ),
    ).toBe(true);
  });

  it('in total: past the limit every source is refused until connections close', async () => {
    await start({ maxConnections: 6, maxConnectionsPerSource: 4 });
    const fromA = await Promise.all(Array.from({ length: 4 }, () => silent(http, CALLER_IPS.a)));
    const fromC = await Promise.all(Array.from({ length: 2 }, () => silent(tcp, CALLER_IPS.c)));
    const refused = await silent(http, CALLER_IPS.stranger);
    expect(await eventually(() => refused.destroyed, 2_000)).toBe(true);
    expect([...fromA, ...fromC].every((s) => !s.destroyed)).toBe(true);
    expect(
      metricValue(await scrape(proxy), 'nodemesh_rejected_connections_total', { reason: 'total_limit' }),
    ).toBe(1);
    fromC[0]?.destroy();
    expect(
      await eventually(
        async () =>
          (await httpCall(http, { from: CALLER_IPS.stranger }).catch(() => undefined))?.status === 200,
      ),
    ).toBe(true);
  });
});
