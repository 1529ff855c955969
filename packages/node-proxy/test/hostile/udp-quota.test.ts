/**
 * Issue 13, item 4: one source cannot fill the UDP session table. Each source address gets at most
 * `maxSessionsPerSource` sessions; datagrams dropped for that (and for any other reason) are counted.
 */
import { createSocket, type Socket } from 'node:dgram';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type NodeProxy, staticCallers } from '../../src/index.js';
import { meshService, readyEndpoints, topologyInputs } from '../fixtures.js';
import { CALLER_IPS, metricValue, udpCall } from '../policy/policy-fixtures.js';
import { Resources, startProxy, udpEchoBackend } from '../support.js';
import { scrape } from './hostile-fixtures.js';

const callers = staticCallers(
  new Map([[CALLER_IPS.a, { namespace: 'web', workload: 'flooder', serviceAccount: 'flooder' }]]),
);

let resources: Resources;
let proxy: NodeProxy;
let port: number;

beforeEach(async () => {
  resources = new Resources();
  const echo = await udpEchoBackend(resources, 'dns');
  proxy = await startProxy(resources, { callers, udp: { maxSessions: 8, maxSessionsPerSource: 3 } });
  await proxy.applyInputs(
    topologyInputs({
      services: [meshService('shop', 'dns', [{ port: 53, targetPort: 15000 }], { trafficType: 'udp' })],
      endpoints: { 'shop/dns': readyEndpoints([{ address: '127.0.0.1', port: echo }]) },
    }),
  );
  port = proxy.boundPort('udp', 15000) ?? 0;
});
afterEach(async () => {
  await resources.closeAll();
});

/** A client socket bound on `from` that stays open (its session stays warm), with the replies it got. */
async function warmSender(from: string): Promise<{ socket: Socket; replies: string[] }> {
  const socket = createSocket('udp4');
  resources.add(socket, (s) => new Promise<void>((resolve) => s.close(() => resolve())));
  const replies: string[] = [];
  socket.on('message', (d) => replies.push(d.toString()));
  await new Promise<void>((resolve) => socket.bind(0, from, resolve));
  return { socket, replies };
}

describe('UDP sessions per source', () => {
  it('one source gets its quota of sessions; the rest of its ports are dropped, counted; others still get one', async () => {
    const senders = await Promise.all(Array.from({ length: 6 }, () => warmSender(CALLER_IPS.a)));
    for (const [i, sender] of senders.entries()) {
      sender.socket.send(`q${i}`, port, '127.0.0.1');
      await new Promise((r) => setTimeout(r, 20));
    }
    await new Promise((r) => setTimeout(r, 300));
    expect(senders.map((s) => s.replies.length)).toEqual([1, 1, 1, 0, 0, 0]);
    // The table (8) is not full, and another source is served.
    expect(await udpCall(port, CALLER_IPS.c, 'other')).toBe('dns:other');
    const text = await scrape(proxy);
    expect(
      metricValue(text, 'nodemesh_udp_dropped_datagrams_total', {
        reason: 'source_limit',
        source_workload: 'flooder',
      }),
    ).toBe(3);
  });
});
