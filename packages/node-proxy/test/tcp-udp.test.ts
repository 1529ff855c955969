import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { NodeProxy } from '../src/index.js';
import { meshService, readyEndpoints, topologyInputs } from './fixtures.js';
import { Resources, startProxy, tcpEchoBackend, udpEchoBackend, udpExchange } from './support.js';

let resources: Resources;

beforeEach(() => {
  resources = new Resources();
});
afterEach(async () => {
  await resources.closeAll();
});

/** The db (TCP) and dns (UDP) Services, the latter with one endpoint per port in `udpPorts`. */
function inputsFor(tcpPort: number, udpPorts: readonly number[]) {
  return topologyInputs({
    services: [
      meshService('shop', 'db', [{ name: 'pg', port: 5432, targetPort: 10000 }], { trafficType: 'tcp' }),
      meshService('shop', 'dns', [{ name: 'dns', port: 53, targetPort: 15000 }], { trafficType: 'udp' }),
    ],
    endpoints: {
      'shop/db': readyEndpoints([{ address: '127.0.0.1', port: tcpPort }], 'pg'),
      'shop/dns': readyEndpoints(
        udpPorts.map((port) => ({ address: '127.0.0.1', port })),
        'dns',
      ),
    },
  });
}

async function proxyFor(tcpPort: number, udpPort: number, udpOptions = {}): Promise<NodeProxy> {
  const proxy = await startProxy(resources, { udp: udpOptions });
  await proxy.applyInputs(inputsFor(tcpPort, [udpPort]));
  return proxy;
}

describe('TCP listener', () => {
  it('proxies both directions and passes a half-close on', async () => {
    const proxy = await proxyFor(await tcpEchoBackend(resources), await udpEchoBackend(resources, 'dns'));
    const port = proxy.boundPort('tcp', 10000);
    const socket = connect({ host: '127.0.0.1', port: port ?? 0, allowHalfOpen: true });
    resources.add(socket, async (s) => void s.destroy());
    const received: Buffer[] = [];
    socket.on('data', (d) => received.push(d));
    const ended = new Promise<void>((resolve) => socket.on('end', () => resolve()));
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    const payload = Buffer.alloc(1024 * 1024, 'x');
    socket.write(payload);
    // Bytes are counted while the connection is open (bounded wait for the echo).
    for (let i = 0; i < 200 && Buffer.concat(received).length < payload.length; i++) {
      await new Promise((r) => setTimeout(r, 10));
    }
    const whileOpen = await proxy.metrics.registry.getSingleMetricAsString('nodemesh_tcp_bytes_total');
    expect(whileOpen).toMatch(/direction="received"} 1048576/);
    expect(await proxy.metrics.registry.getSingleMetricAsString('nodemesh_tcp_open_connections')).toMatch(
      /destination_service="db"} 1/,
    );
    // Half-close: the echo server still answers "bye" after our end, through the proxy.
    socket.end();
    await ended;
    const all = Buffer.concat(received);
    expect(all.length).toBe(payload.length + 3);
    expect(all.subarray(-3).toString()).toBe('bye');
    // Metrics are counted when both sides have closed; wait for that, bounded.
    let bytes = '';
    for (let i = 0; i < 40 && !bytes.includes('direction="received"} 1048576'); i++) {
      await new Promise((r) => setTimeout(r, 25));
      bytes = await proxy.metrics.registry.getSingleMetricAsString('nodemesh_tcp_bytes_total');
    }
    expect(bytes).toMatch(/direction="received"} 1048576/);
    expect(bytes).toMatch(/direction="sent"} 1048579/);
    expect(await proxy.metrics.registry.getSingleMetricAsString('nodemesh_tcp_connections_total')).toMatch(
      /destination_service="db"} 1/,
    );
    expect(await proxy.metrics.registry.getSingleMetricAsString('nodemesh_tcp_open_connections')).toMatch(
      /destination_service="db"} 0/,
    );
  });

  it('closes the connection when the Service has no ready endpoint', async () => {
    const proxy = await startProxy(resources);
    await proxy.applyInputs(
      topologyInputs({
        services: [meshService('shop', 'db', [{ port: 5432, targetPort: 10000 }], { trafficType: 'tcp' })],
      }),
    );
    const socket = connect({ host: '127.0.0.1', port: proxy.boundPort('tcp', 10000) ?? 0 });
    resources.add(socket, async (s) => void s.destroy());
    socket.on('error', () => undefined);
    await new Promise<void>((resolve) => socket.on('close', () => resolve()));
  });
});

describe('UDP listener', () => {
  it('echoes through per-client sessions', async () => {
    const proxy = await proxyFor(await tcpEchoBackend(resources), await udpEchoBackend(resources, 'dns'));
    const port = proxy.boundPort('udp', 15000) ?? 0;
    expect(await udpExchange(port, 'one')).toBe('dns:one');
    expect(await udpExchange(port, 'two')).toBe('dns:two');
    expect(await proxy.metrics.registry.getSingleMetricAsString('nodemesh_udp_packets_total')).toMatch(
      /direction="sent"} 2/,
    );
  });

  it('moves a client that keeps its source port off an endpoint that left the snapshot, counted', async () => {
    const tcp = await tcpEchoBackend(resources);
    const a = await udpEchoBackend(resources, 'a');
    const b = await udpEchoBackend(resources, 'b');
    const proxy = await startProxy(resources);
    await proxy.applyInputs(inputsFor(tcp, [a, b]));
    const port = proxy.boundPort('udp', 15000) ?? 0;
    // One client socket, so one session: its datagrams keep going to the endpoint it was given.
    const client = createSocket('udp4');
    resources.add(client, (s) => new Promise<void>((resolve) => s.close(() => resolve())));
    const exchange = (message: string) =>
      new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no UDP reply to ${message}`)), 2_000);
        client.once('message', (data) => {
          clearTimeout(timer);
          resolve(data.toString());
        });
        client.send(message, port, '127.0.0.1');
      });
    const first = await exchange('one');
    expect(await exchange('two')).toBe(`${first.slice(0, 1)}:two`);
    // That endpoint goes not ready: the session ends with the snapshot, before any datagram comes, counted once,
    // and the next datagram opens a session to the other endpoint.
    const revoked = async () =>
      await proxy.metrics.registry.getSingleMetricAsString('nodemesh_revoked_connections_total');
    const once = /destination_service="dns",protocol="udp",reason="endpoint_gone"} 1$/m;
    const [left, leftName] = first.startsWith('a:') ? [b, 'b'] : [a, 'a'];
    await proxy.applyInputs(inputsFor(tcp, [left]));
    expect(await revoked()).toMatch(once);
    expect(await exchange('three')).toBe(`${leftName}:three`);
    expect(await revoked()).toMatch(once);
  });

  it('drops datagrams beyond the session bound, and frees sessions after the idle time', async () => {
    const proxy = await proxyFor(await tcpEchoBackend(resources), await udpEchoBackend(resources, 'dns'), {
      maxSessions: 1,
      sessionIdleMs: 200,
    });
    const port = proxy.boundPort('udp', 15000) ?? 0;
    const first = udpExchange(port, 'a', 3_000);
    await expect(udpExchange(port, 'b', 100)).rejects.toThrow('no UDP reply');
    expect(await first).toBe('dns:a');
    // Bounded wait for the idle session to end, then a new client gets a session.
    let reply: string | undefined;
    for (let i = 0; i < 20 && reply === undefined; i++) {
      await new Promise((r) => setTimeout(r, 100));
      reply = await udpExchange(port, 'c', 150).catch(() => undefined);
    }
    expect(reply).toBe('dns:c');
  });
});
