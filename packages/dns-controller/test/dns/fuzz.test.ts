import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeQuery, type MeshDnsServer, RRType } from '../../src/dns/index.js';
import { frame, metricValue, startServer, tcpExchange, udpExchange } from './support.js';

/** A small deterministic generator, so a failure can be replayed. */
function generator(seed: number) {
  let state = seed;
  return (limit: number): number => {
    state = (state * 1103515245 + 12345) & 0x7fffffff;
    return state % limit;
  };
}

function malformed(random: (limit: number) => number, real: Buffer): Buffer {
  switch (random(3)) {
    case 0:
      return Buffer.from(Array.from({ length: random(600) }, () => random(256)));
    case 1:
      return Buffer.from(real.subarray(0, random(real.length)));
    default: {
      const packet = Buffer.from(real);
      for (let flips = 1 + random(4); flips > 0; flips--) packet[random(packet.length)] = random(256);
      return packet;
    }
  }
}

const good = encodeQuery('orders.shop.mesh', RRType.A, { id: 999 });
const answersA = (reply: Buffer | undefined) =>
  reply !== undefined && reply.readUInt16BE(0) === 999 && reply.readUInt16BE(6) === 1;

describe('mesh DNS server under malformed traffic', () => {
  let server: MeshDnsServer;
  let port: number;
  let registry: Awaited<ReturnType<typeof startServer>>['registry'];

  beforeAll(async () => {
    ({ server, port, registry } = await startServer({ tcpTimeoutMs: 300 }));
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('survives 20 000 malformed UDP packets and still answers', async () => {
    const random = generator(42);
    const real = encodeQuery('_http._tcp.orders.shop.mesh', RRType.SRV, {
      edns: { udpPayloadSize: 1232, version: 0, dnssecOk: false },
    });
    const socket = createSocket('udp4');
    socket.on('message', () => {});
    try {
      const deadline = Date.now() + 20_000;
      for (let batch = 0; batch < 200 && Date.now() < deadline; batch++) {
        await Promise.all(
          Array.from(
            { length: 100 },
            () =>
              new Promise<void>((done) =>
                socket.send(malformed(random, real), port, '127.0.0.1', () => done()),
              ),
          ),
        );
        // A pause per batch lets the server drain its socket, so most packets reach the decoder.
        await new Promise((resume) => setTimeout(resume, 2));
      }
    } finally {
      socket.close();
    }
    // Loopback may drop datagrams under load (the sender shares the process); thousands arrive.
    expect(
      await metricValue(registry, 'nodemesh_dns_malformed_queries_total', { transport: 'udp' }),
    ).toBeGreaterThan(1000);
    // Like any resolver, ask again if a datagram is lost in a still-full socket buffer.
    let answered = false;
    for (let attempt = 0; attempt < 5 && !answered; attempt++)
      answered = answersA(await udpExchange(port, good, 1000));
    expect(answered).toBe(true);
  });

  it('answers FORMERR over UDP when the header is readable', async () => {
    const cut = good.subarray(0, 20);
    const reply = await udpExchange(port, cut);
    expect(reply?.readUInt16BE(0)).toBe(999);
    expect((reply?.readUInt16BE(2) ?? 0) & 0x0f).toBe(1);
  });

  it('hangs up on TCP garbage, bad frame lengths and stalled clients, and still answers', async () => {
    const random = generator(7);
    const before = await metricValue(registry, 'nodemesh_dns_malformed_queries_total', { transport: 'tcp' });
    const cases = [
      Buffer.from([0x00, 0x00]),
      Buffer.from([0xff, 0xff, 1, 2, 3]),
      Buffer.from([0x00, 0x05, 1, 2, 3, 4, 5]),
      frame(good.subarray(0, 20)),
      ...Array.from({ length: 40 }, () => frame(malformed(random, good))),
    ];
    const results = await Promise.all(cases.map((bytes) => tcpExchange(port, bytes, { timeoutMs: 5000 })));
    for (const result of results) expect(result.closedByServer).toBe(true);
    expect(
      await metricValue(registry, 'nodemesh_dns_malformed_queries_total', { transport: 'tcp' }),
    ).toBeGreaterThan(before);
    const { frames } = await tcpExchange(port, frame(good), { replies: 1 });
    expect(answersA(frames[0])).toBe(true);
  });

  it('closes a TCP client that stops half-way through a frame, even if it trickles bytes', async () => {
    const closed = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      const partial = frame(good);
      let sent = 0;
      // One byte every 100 ms keeps the connection busy but never finishes the frame in time.
      const trickle = setInterval(() => {
        if (sent < partial.length - 1) socket.write(partial.subarray(sent, ++sent));
      }, 100);
      const giveUp = setTimeout(() => finish(false), 5000);
      function finish(result: boolean): void {
        clearInterval(trickle);
        clearTimeout(giveUp);
        socket.destroy();
        resolve(result);
      }
      socket.on('close', () => finish(true));
      socket.on('error', () => finish(true));
    });
    expect(closed).toBe(true);
  });

  it('answers several queries on one TCP connection, in order', async () => {
    const second = encodeQuery('orders.shop.mesh', RRType.AAAA, { id: 1000 });
    const { frames } = await tcpExchange(port, Buffer.concat([frame(good), frame(second)]), { replies: 2 });
    expect(frames.map((reply) => reply.readUInt16BE(0))).toEqual([999, 1000]);
  });
});
