/**
 * DNS over TCP under a hostile client: one address opening as many connections as the server allows, each
 * kept alive with a query, must not lock other clients out. Clients on distinct loopback addresses
 * (127.0.0.2, 127.0.0.3: Linux routes all of 127/8 to lo), the real `dig` as the bystander.
 */
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeQuery, RRType } from '../../src/dns/index.js';
import { TcpConnectionTable } from '../../src/dns/tcp-connections.js';
import { dig, frame, metricValue, startServer } from './support.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** One attacker connection from `from`: sends a query and resolves once answered, or on close. */
function holdConnection(port: number, from: string): Promise<{ socket: Socket; answered: boolean }> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1', localAddress: from });
    cleanups.push(() => {
      socket.destroy();
    });
    const timer = setTimeout(() => resolve({ socket, answered: false }), 3_000);
    socket.once('data', () => {
      clearTimeout(timer);
      resolve({ socket, answered: true });
    });
    socket.once('close', () => {
      clearTimeout(timer);
      resolve({ socket, answered: false });
    });
    socket.on('error', () => undefined);
    socket.on('connect', () => socket.write(frame(encodeQuery('orders.shop.mesh', RRType.A))));
  });
}

async function flood(port: number, from: string, count: number) {
  const held = await Promise.all(Array.from({ length: count }, () => holdConnection(port, from)));
  return held.filter((h) => h.answered && !h.socket.destroyed).length;
}

async function digTcpFrom(port: number, from: string): Promise<string> {
  return dig(port, '-b', from, '+tcp', '+short', 'orders.shop.mesh', 'A');
}

describe('DNS over TCP limits', () => {
  it('256 connections from one client do not lock another client out', async () => {
    // Connections kept alive, as by a client sending a query every few seconds.
    const { server, port, registry } = await startServer({ tcpTimeoutMs: 60_000 });
    cleanups.push(() => server.stop());
    const alive = await flood(port, '127.0.0.2', 256);
    expect(alive).toBe(16);
    expect(
      await metricValue(registry, 'nodemesh_dns_tcp_connections_refused_total', { reason: 'per_client' }),
    ).toBe(240);
    expect((await digTcpFrom(port, '127.0.0.3')).trim()).toBe('10.96.0.10');
    expect(await metricValue(registry, 'nodemesh_dns_tcp_connections')).toBe(16);
  });

  it('a full server makes room for a newcomer by closing the idlest connection of the biggest holder', async () => {
    const { server, port, registry } = await startServer({
      tcpTimeoutMs: 60_000,
      maxTcpConnections: 20,
      maxTcpConnectionsPerClient: 1000,
    });
    cleanups.push(() => server.stop());
    expect(await flood(port, '127.0.0.2', 20)).toBe(20);
    expect((await digTcpFrom(port, '127.0.0.3')).trim()).toBe('10.96.0.10');
    expect(await metricValue(registry, 'nodemesh_dns_tcp_connections_evicted_total')).toBe(1);
  });

  it('an idle connection is closed after the idle timeout', async () => {
    const { server, port } = await startServer({ tcpTimeoutMs: 300 });
    cleanups.push(() => server.stop());
    const { socket, answered } = await holdConnection(port, '127.0.0.2');
    expect(answered).toBe(true);
    const closedAfter = await new Promise<number>((resolve) => {
      const started = Date.now();
      if (socket.destroyed) resolve(0);
      socket.once('close', () => resolve(Date.now() - started));
      setTimeout(() => resolve(Number.POSITIVE_INFINITY), 3_000);
    });
    expect(closedAfter).toBeLessThan(2_000);
  });
});

describe('TcpConnectionTable', () => {
  it('refuses a client at its share, and at the total when nobody holds more than the newcomer would', () => {
    const table = new TcpConnectionTable<string>({ perClient: 2, total: 3 });
    expect(table.admit('a', 'a1', 0)).toEqual({ admitted: true, evicted: undefined });
    expect(table.admit('a', 'a2', 1)).toEqual({ admitted: true, evicted: undefined });
    expect(table.admit('a', 'a3', 2)).toEqual({ admitted: false, reason: 'per_client' });
    expect(table.admit('b', 'b1', 3)).toEqual({ admitted: true, evicted: undefined });
    // Full: c would hold 1, a holds 2: a's idlest connection makes room.
    table.touch('a1', 10);
    expect(table.admit('c', 'c1', 11)).toEqual({ admitted: true, evicted: 'a2' });
    // Full again, everyone holds 1: nobody is displaced for a fourth client.
    expect(table.admit('d', 'd1', 12)).toEqual({ admitted: false, reason: 'total' });
    table.release('b1');
    expect(table.admit('d', 'd1', 13)).toEqual({ admitted: true, evicted: undefined });
    expect(table.size).toBe(3);
  });
});
