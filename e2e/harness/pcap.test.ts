import { describe, expect, it } from 'vitest';
import { flowStreams, judgeCapture, tcpSegments, tlsRecords } from './pcap.js';

interface Frame {
  readonly src: string;
  readonly dst: string;
  readonly srcPort: number;
  readonly dstPort: number;
  readonly payload: string | Buffer;
}

const octets = (ip: string) => Buffer.from(ip.split('.').map(Number));

/** An IPv4 + TCP packet (no options) carrying the payload. */
function ipPacket(frame: Frame): Buffer {
  const payload = typeof frame.payload === 'string' ? Buffer.from(frame.payload) : frame.payload;
  const ip = Buffer.alloc(20);
  ip[0] = 0x45;
  ip.writeUInt16BE(40 + payload.length, 2);
  ip[8] = 64;
  ip[9] = 6;
  octets(frame.src).copy(ip, 12);
  octets(frame.dst).copy(ip, 16);
  const tcp = Buffer.alloc(20);
  tcp.writeUInt16BE(frame.srcPort, 0);
  tcp.writeUInt16BE(frame.dstPort, 2);
  tcp[12] = 5 << 4;
  return Buffer.concat([ip, tcp, payload]);
}

/** A pcap file of one link type: Ethernet (1) or Linux cooked v2 (276). */
function pcap(linkType: 1 | 276, frames: readonly Frame[]): Buffer {
  const header = Buffer.alloc(24);
  header.writeUInt32LE(0xa1b2c3d4, 0);
  header.writeUInt16LE(2, 4);
  header.writeUInt16LE(4, 6);
  header.writeUInt32LE(262_144, 16);
  header.writeUInt32LE(linkType, 20);
  const records = frames.map((frame) => {
    const link = Buffer.alloc(linkType === 1 ? 14 : 20);
    link.writeUInt16BE(0x0800, linkType === 1 ? 12 : 0);
    const data = Buffer.concat([link, ipPacket(frame)]);
    const record = Buffer.alloc(16);
    record.writeUInt32LE(data.length, 8);
    record.writeUInt32LE(data.length, 12);
    return Buffer.concat([record, data]);
  });
  return Buffer.concat([header, ...records]);
}

const A = '10.250.0.11';
const C = '10.250.0.13';
const tlsRecord = (type: number, length: number) =>
  Buffer.concat([Buffer.from([type, 3, 3, length >> 8, length & 0xff]), Buffer.alloc(length, 0x5a)]);

describe('reading a capture', () => {
  it('reads TCP segments from Ethernet and Linux cooked v2 files', () => {
    const frame = { src: A, dst: C, srcPort: 40_000, dstPort: 8080, payload: 'hello' };
    for (const linkType of [1, 276] as const) {
      const [segment] = tcpSegments(pcap(linkType, [frame]));
      expect(segment).toMatchObject({ src: A, dst: C, srcPort: 40_000, dstPort: 8080 });
      expect(segment?.payload.toString()).toBe('hello');
    }
    expect(() => tcpSegments(Buffer.alloc(30))).toThrow(/not a pcap file/);
  });

  it('joins each direction’s payloads, counting a frame seen on two bridge ports once', () => {
    const part = (payload: string) => ({ src: A, dst: C, srcPort: 1, dstPort: 2, payload });
    const streams = flowStreams(tcpSegments(pcap(276, [part('ab'), part('ab'), part('cd')])));
    expect(streams.get(`${A}:1>${C}:2`)?.toString()).toBe('abcd');
  });

  it('finds a marker split over segments and plaintext HTTP, in requests and responses', () => {
    const marker = 'nm-marker-1234';
    const verdict = judgeCapture(
      tcpSegments(
        pcap(1, [
          { src: A, dst: C, srcPort: 5, dstPort: 80, payload: `POST /x HTTP/1.1\r\nHost: w\r\n\r\nnm-mar` },
          { src: A, dst: C, srcPort: 5, dstPort: 80, payload: 'ker-1234' },
          { src: C, dst: A, srcPort: 80, dstPort: 5, payload: 'HTTP/1.1 200 OK\r\n\r\n{}' },
        ]),
      ),
      marker,
    );
    expect(verdict.markerIn).toEqual([`${A}:5>${C}:80`]);
    expect(verdict.plaintextHttp).toEqual([`${A}:5>${C}:80`, `${C}:80>${A}:5`]);
    expect(verdict.tls.size).toBe(0);
  });

  it('walks TLS records from the first byte, and says which flows are TLS', () => {
    const stream = Buffer.concat([
      tlsRecord(22, 300),
      tlsRecord(20, 1),
      tlsRecord(23, 100),
      tlsRecord(23, 40),
    ]);
    expect(tlsRecords(stream)).toEqual({ records: 4, applicationData: 2 });
    expect(tlsRecords(Buffer.from('GET / HTTP/1.1\r\n'))).toBeUndefined();
    const verdict = judgeCapture(
      tcpSegments(pcap(276, [{ src: A, dst: C, srcPort: 6, dstPort: 15_008, payload: stream }])),
      'nm-marker',
    );
    expect(verdict.markerIn).toEqual([]);
    expect(verdict.plaintextHttp).toEqual([]);
    expect(verdict.tls.get(`${A}:6>${C}:15008`)).toEqual({ records: 4, applicationData: 2 });
  });
});
