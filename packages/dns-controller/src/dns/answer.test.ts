import dns2 from 'dns2';
import { describe, expect, it } from 'vitest';
import { resolverDefaults } from './answer.js';
import { RRType } from './message.js';
import { encodeQuery } from './query.js';
import { respond, type Transport } from './respond.js';
import { MeshZone } from './zone.js';

interface Decoded {
  header: { id: number; aa: number; tc: number; rd: number; rcode: number };
  questions: { name: string; type: number }[];
  answers: Record<string, unknown>[];
  authorities: Record<string, unknown>[];
  additionals: Record<string, unknown>[];
}

/** dns2's parser as an independent reader of our well-formed answers. */
const parse = (bytes: Buffer): Decoded =>
  (dns2.Packet as unknown as { parse(bytes: Buffer): Decoded }).parse(bytes);

/** Our OPT record is always the last 11 bytes when present. */
function opt(bytes: Buffer): { payload: number; extendedRcode: number; version: number } {
  expect(bytes.readUInt16BE(bytes.length - 10)).toBe(RRType.OPT);
  return {
    payload: bytes.readUInt16BE(bytes.length - 8),
    extendedRcode: bytes.readUInt8(bytes.length - 6),
    version: bytes.readUInt8(bytes.length - 5),
  };
}

const zone = new MeshZone('mesh');
zone.upsert({
  namespace: 'shop',
  name: 'orders',
  clusterIPs: ['10.96.0.10', 'fd00::a'],
  ports: [
    { name: 'http', port: 8080, protocol: 'TCP' },
    { name: 'dns', port: 53, protocol: 'UDP' },
    { name: '', port: 9000, protocol: 'TCP' },
  ],
});
zone.upsert({ namespace: 'shop', name: 'cart', clusterIPs: ['10.96.0.11'], ports: [] });
const wide = Array.from({ length: 100 }, (_, i) => `10.1.${Math.floor(i / 250)}.${(i % 250) + 1}`);
zone.upsert({ namespace: 'big', name: 'many', clusterIPs: wide, ports: [] });
const options = { ...resolverDefaults('mesh'), ttl: 7 };

function ask(
  name: string,
  type: number,
  extra: Parameters<typeof encodeQuery>[2] = {},
  transport: Transport = 'udp',
) {
  const outcome = respond(encodeQuery(name, type, extra), zone, options, transport);
  if (outcome.reply === undefined) throw new Error('no reply');
  return { outcome, bytes: outcome.reply, message: parse(outcome.reply) };
}

const NOERROR = 0;
const NXDOMAIN = 3;
const REFUSED = 5;

describe('resolve', () => {
  it.each([
    // name, type, rcode, answer types, authority types
    ['orders.shop.mesh', RRType.A, NOERROR, [RRType.A], []],
    ['orders.shop.mesh', RRType.AAAA, NOERROR, [RRType.AAAA], []],
    ['orders.shop.mesh', RRType.ANY, NOERROR, [RRType.A, RRType.AAAA], []],
    ['cart.shop.mesh', RRType.AAAA, NOERROR, [], [RRType.SOA]],
    ['cart.shop.mesh', RRType.SRV, NOERROR, [], [RRType.SOA]],
    ['_http._tcp.orders.shop.mesh', RRType.SRV, NOERROR, [RRType.SRV], []],
    ['_dns._udp.orders.shop.mesh', RRType.SRV, NOERROR, [RRType.SRV], []],
    ['_http._udp.orders.shop.mesh', RRType.SRV, NXDOMAIN, [], [RRType.SOA]],
    ['_http._tcp.orders.shop.mesh', RRType.A, NOERROR, [], [RRType.SOA]],
    ['_tcp.orders.shop.mesh', RRType.SRV, NOERROR, [], [RRType.SOA]],
    ['_tcp.cart.shop.mesh', RRType.SRV, NXDOMAIN, [], [RRType.SOA]],
    ['mesh', RRType.SOA, NOERROR, [RRType.SOA], []],
    ['mesh', RRType.NS, NOERROR, [RRType.NS], []],
    ['mesh', RRType.A, NOERROR, [], [RRType.SOA]],
    ['shop.mesh', RRType.A, NOERROR, [], [RRType.SOA]],
    ['nope.mesh', RRType.A, NXDOMAIN, [], [RRType.SOA]],
    ['nope.shop.mesh', RRType.A, NXDOMAIN, [], [RRType.SOA]],
    ['a.b.c.d.e.mesh', RRType.A, NXDOMAIN, [], [RRType.SOA]],
    ['orders.shop.svc.cluster.local', RRType.A, REFUSED, [], []],
    ['example.com', RRType.A, REFUSED, [], []],
    ['mesh.example', RRType.A, REFUSED, [], []],
    ['mesh', 252, REFUSED, [], []],
  ])('%s type %i → rcode %i', (name, type, rcode, answerTypes, authorityTypes) => {
    const { message } = ask(name, type);
    expect(message.header.rcode).toBe(rcode);
    expect(message.header.aa).toBe(rcode === REFUSED ? 0 : 1);
    expect(message.answers.map((record) => record.type)).toEqual(answerTypes);
    expect(message.authorities.map((record) => record.type)).toEqual(authorityTypes);
    expect(message.questions).toEqual([expect.objectContaining({ name, type })]);
  });

  it('answers A and AAAA with the ClusterIPs and the configured TTL', () => {
    expect(ask('orders.shop.mesh', RRType.A).message.answers).toEqual([
      expect.objectContaining({ name: 'orders.shop.mesh', address: '10.96.0.10', ttl: 7 }),
    ]);
    const aaaa = ask('orders.shop.mesh', RRType.AAAA).bytes;
    expect(aaaa.subarray(aaaa.length - 16).toString('hex')).toBe('fd00000000000000000000000000000a');
  });

  it('answers SRV with the port, the Service name as target and its addresses in additional', () => {
    const { message } = ask('_http._tcp.orders.shop.mesh', RRType.SRV);
    expect(message.answers).toEqual([
      expect.objectContaining({ port: 8080, target: 'orders.shop.mesh', priority: 0, weight: 100 }),
    ]);
    expect(message.additionals.map((record) => [record.name, record.type])).toEqual([
      ['orders.shop.mesh', RRType.A],
      ['orders.shop.mesh', RRType.AAAA],
    ]);
  });

  it('names the Service itself (lower case) as SRV target, however the question spelled it', () => {
    const { message } = ask('_HTTP._tcp.Orders.SHOP.mesh', RRType.SRV);
    expect(message.answers).toEqual([expect.objectContaining({ target: 'orders.shop.mesh' })]);
    expect(message.questions).toEqual([expect.objectContaining({ name: '_HTTP._tcp.Orders.SHOP.mesh' })]);
  });

  it('puts the SOA with the zone serial and TTL as minimum in the authority of NXDOMAIN', () => {
    const [soa] = ask('missing.shop.mesh', RRType.A).message.authorities;
    expect(soa).toEqual(
      expect.objectContaining({ name: 'mesh', primary: 'ns.dns.mesh', admin: 'hostmaster.mesh', minimum: 7 }),
    );
    expect(soa?.serial).toBe(zone.serial);
  });

  it('matches names case-insensitively and answers with the case asked', () => {
    const { message } = ask('OrDeRs.SHOP.Mesh', RRType.A);
    expect(message.header.rcode).toBe(NOERROR);
    expect(message.questions[0]?.name).toBe('OrDeRs.SHOP.Mesh');
    expect(message.answers[0]).toEqual(
      expect.objectContaining({ name: 'OrDeRs.SHOP.Mesh', address: '10.96.0.10' }),
    );
  });

  it('serves a multi-label domain and refuses its parent', () => {
    const other = new MeshZone('mesh.example');
    other.upsert({ namespace: 'ns', name: 'svc', clusterIPs: ['10.0.0.1'], ports: [] });
    const settings = resolverDefaults('mesh.example');
    const a = respond(encodeQuery('svc.ns.mesh.example', RRType.A), other, settings, 'udp');
    expect(parse(a.reply ?? Buffer.alloc(0)).answers[0]).toEqual(
      expect.objectContaining({ address: '10.0.0.1' }),
    );
    expect(respond(encodeQuery('example', RRType.SOA), other, settings, 'udp').rcode).toBe('REFUSED');
    expect(respond(encodeQuery('mesh', RRType.SOA), other, settings, 'udp').rcode).toBe('REFUSED');
  });

  it('answers the NS name with the configured addresses', () => {
    const settings = { ...options, nsAddresses: ['10.96.0.53'] };
    const reply = respond(encodeQuery('ns.dns.mesh', RRType.A), zone, settings, 'udp').reply;
    expect(parse(reply ?? Buffer.alloc(0)).answers).toEqual([
      expect.objectContaining({ address: '10.96.0.53' }),
    ]);
  });

  it('echoes the id and the RD flag', () => {
    const { message } = ask('orders.shop.mesh', RRType.A, { id: 4242, recursionDesired: false });
    expect(message.header.id).toBe(4242);
    expect(message.header.rd).toBe(0);
  });
});

describe('EDNS0', () => {
  const edns = (udpPayloadSize: number, version = 0) => ({
    edns: { udpPayloadSize, version, dnssecOk: false },
  });

  it('answers an OPT with an OPT advertising our payload size', () => {
    const { bytes } = ask('orders.shop.mesh', RRType.A, edns(1232));
    expect(opt(bytes)).toEqual({ payload: 4096, extendedRcode: 0, version: 0 });
  });

  it('sends no OPT when the query had none', () => {
    const { message } = ask('orders.shop.mesh', RRType.A);
    expect(message.additionals).toEqual([]);
  });

  it('answers BADVERS to an unsupported EDNS version', () => {
    const { bytes, outcome } = ask('orders.shop.mesh', RRType.A, edns(1232, 1));
    expect(outcome.rcode).toBe('BADVERS');
    expect(bytes.readUInt16BE(2) & 0x0f).toBe(0);
    expect(opt(bytes)).toEqual({ payload: 4096, extendedRcode: 1, version: 0 });
    expect(parse(bytes).answers).toEqual([]);
  });
});

describe('size limits', () => {
  const size = (name: string, extra: Parameters<typeof encodeQuery>[2], transport: Transport = 'udp') => {
    const { outcome, message } = ask(name, RRType.A, extra, transport);
    return {
      truncated: outcome.truncated,
      tc: message.header.tc,
      answers: message.answers.length,
      bytes: outcome.reply,
    };
  };

  it('truncates a UDP answer over 512 bytes without EDNS: TC set, records dropped', () => {
    const result = size('many.big.mesh', {});
    expect(result).toEqual(expect.objectContaining({ truncated: true, tc: 1, answers: 0 }));
    expect(result.bytes?.length).toBeLessThanOrEqual(512);
  });

  it('honours the EDNS payload size, with 512 as the floor', () => {
    const edns = (udpPayloadSize: number) => ({ edns: { udpPayloadSize, version: 0, dnssecOk: false } });
    expect(size('many.big.mesh', edns(4096))).toEqual(expect.objectContaining({ tc: 0, answers: 100 }));
    expect(size('many.big.mesh', edns(1232))).toEqual(expect.objectContaining({ tc: 1, answers: 0 }));
    expect(size('many.big.mesh', edns(100))).toEqual(expect.objectContaining({ tc: 1, answers: 0 }));
    expect(size('cart.shop.mesh', edns(100))).toEqual(expect.objectContaining({ tc: 0, answers: 1 }));
  });

  it('caps the honoured payload size at the configured maximum', () => {
    const settings = { ...options, maxUdpPayload: 1232 };
    const query = encodeQuery('many.big.mesh', RRType.A, {
      edns: { udpPayloadSize: 65000, version: 0, dnssecOk: false },
    });
    expect(respond(query, zone, settings, 'udp').truncated).toBe(true);
  });

  it('does not truncate over TCP', () => {
    expect(size('many.big.mesh', {}, 'tcp')).toEqual(expect.objectContaining({ tc: 0, answers: 100 }));
  });

  it('compresses repeated names', () => {
    const { bytes } = ask('many.big.mesh', RRType.A, {}, 'tcp');
    // header + question (19 + 4) + 100 × (pointer 2 + 10 + 4)
    expect(bytes.length).toBe(12 + 19 + 100 * 16);
  });
});

describe('opcodes and malformed queries', () => {
  it('answers NOTIMP to opcodes other than QUERY', () => {
    const outcome = respond(encodeQuery('orders.shop.mesh', RRType.A, { opcode: 5 }), zone, options, 'udp');
    expect(outcome.rcode).toBe('NOTIMP');
    expect(outcome.reply?.readUInt16BE(2)).toBe(0x8000 | (5 << 11) | 0x0100 | 4);
  });

  it('answers FORMERR to two questions, keeping the id', () => {
    const query = encodeQuery('orders.shop.mesh', RRType.A, { id: 77 });
    query.writeUInt16BE(2, 4);
    const outcome = respond(query, zone, options, 'udp');
    expect(outcome).toEqual(expect.objectContaining({ rcode: 'FORMERR', malformed: true }));
    expect(outcome.reply?.readUInt16BE(0)).toBe(77);
  });

  it('drops packets without a header and responses', () => {
    expect(respond(Buffer.from([1, 2, 3]), zone, options, 'udp').reply).toBeUndefined();
    const response = encodeQuery('orders.shop.mesh');
    response.writeUInt8(response.readUInt8(2) | 0x80, 2);
    expect(respond(response, zone, options, 'udp')).toEqual(
      expect.objectContaining({ reply: undefined, malformed: true }),
    );
  });

  it('labels unknown query types "other" for metrics', () => {
    expect(respond(encodeQuery('orders.shop.mesh', 4321), zone, options, 'udp').qtype).toBe('other');
  });
});
