import { createSocket } from 'node:dgram';
import { createServer, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeQuery, MeshDnsServer, RRType } from '../../src/dns/index.js';
import { frame, metricValue, sampleZone, startServer, tcpExchange, udpExchange } from './support.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function started(options: Parameters<typeof startServer>[0] = {}) {
  const result = await startServer(options);
  cleanups.push(() => result.server.stop());
  return result;
}

function ipv6LoopbackWorks(): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createSocket('udp6');
    socket.on('error', () => {
      socket.close();
      resolve(false);
    });
    socket.bind(0, '::1', () => {
      socket.close();
      resolve(true);
    });
  });
}

describe('MeshDnsServer', () => {
  it('listens on UDP and TCP on one port and records answer durations', async () => {
    const { port, registry, server } = await started();
    expect(server.address).toEqual({ host: '127.0.0.1', port });
    expect(await server.start()).toEqual({ host: '127.0.0.1', port });
    const query = encodeQuery('orders.shop.mesh', RRType.A);
    expect((await udpExchange(port, query))?.readUInt16BE(6)).toBe(1);
    expect((await tcpExchange(port, frame(query), { replies: 1 })).frames).toHaveLength(1);
    const count = (transport: string) =>
      metricValue(registry, 'nodemesh_dns_answer_duration_seconds_count', { transport });
    expect([await count('udp'), await count('tcp')]).toEqual([1, 1]);
    expect(await metricValue(registry, 'nodemesh_dns_queries_total', { type: 'A', rcode: 'NOERROR' })).toBe(
      2,
    );
  });

  it('fails to start, and holds no socket, when the TCP side of a fixed port is taken', async () => {
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise<void>((resolve) => blocker.close(() => resolve())));
    const address = blocker.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    const server = new MeshDnsServer({ zone: sampleZone(), port });
    await expect(server.start()).rejects.toThrow(/EADDRINUSE/);
    // The UDP socket it bound first was released: a plain UDP bind on that port works.
    const udp = createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      udp.once('error', reject);
      udp.bind(port, '127.0.0.1', () => resolve());
    });
    udp.close();
  });

  it('closes open TCP connections on stop', async () => {
    const { server, port } = await startServer();
    cleanups.push(() => server.stop());
    const pending = tcpExchange(port, Buffer.from([0x00]), { timeoutMs: 5000 });
    await new Promise((resolve) => setTimeout(resolve, 100));
    await server.stop();
    expect((await pending).closedByServer).toBe(true);
    expect(server.address).toBeUndefined();
  });

  it('serves IPv6 loopback', async () => {
    if (!(await ipv6LoopbackWorks())) return;
    const { port } = await started({ host: '::1' });
    const reply = await new Promise<Buffer | undefined>((resolve) => {
      const socket = createSocket('udp6');
      const timer = setTimeout(() => done(undefined), 2000);
      function done(value: Buffer | undefined): void {
        clearTimeout(timer);
        socket.close();
        resolve(value);
      }
      socket.on('message', (message) => done(message));
      socket.send(encodeQuery('orders.shop.mesh', RRType.AAAA), port, '::1');
    });
    expect(reply?.subarray(reply.length - 16).toString('hex')).toBe('fd00000000000000000000000000000a');
  });
});
