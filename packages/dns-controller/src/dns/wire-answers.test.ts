import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type ResolverOptions, resolverDefaults } from './answer.js';
import { RRType, rcodeName } from './message.js';
import { metricTypeName } from './metrics.js';
import { encodeQuery } from './query.js';
import { QueryHead } from './query-head.js';
import { respond, type Transport } from './respond.js';
import { WireAnswers } from './wire-answers.js';
import { MeshZone } from './zone.js';

function sampleZone(): MeshZone {
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
  // A Service whose name is the name server's: the name server's answer wins, as in the resolver.
  zone.upsert({ namespace: 'dns', name: 'ns', clusterIPs: ['10.96.0.99'], ports: [] });
  // Namespaces whose names are as long as others, or are suffixes of the SOA's names (ns.dns, hostmaster).
  zone.upsert({ namespace: 'abc', name: 'ns', clusterIPs: ['10.96.0.98'], ports: [] });
  zone.upsert({ namespace: 'hostmaster', name: 'x', clusterIPs: ['10.96.0.97'], ports: [] });
  const wide = Array.from({ length: 100 }, (_, i) => `10.1.0.${i + 1}`);
  zone.upsert({ namespace: 'big', name: 'many', clusterIPs: wide, ports: [] });
  return zone;
}

const options: ResolverOptions = { ...resolverDefaults('mesh'), ttl: 7, nsAddresses: ['10.96.0.53'] };

const NAMES = [
  'mesh',
  'ns.dns.mesh',
  'shop.mesh',
  'dns.mesh',
  'abc.mesh',
  'ns.abc.mesh',
  'hostmaster.mesh',
  'x.hostmaster.mesh',
  'orders.shop.mesh',
  'cart.shop.mesh',
  'many.big.mesh',
  '_tcp.orders.shop.mesh',
  '_udp.orders.shop.mesh',
  '_http._tcp.orders.shop.mesh',
  '_dns._udp.orders.shop.mesh',
  '_http._udp.orders.shop.mesh',
  '_tcp.cart.shop.mesh',
  'nope.shop.mesh',
  'nope.mesh',
  'a.b.c.d.e.mesh',
  'example.com',
  'nope.dns.mesh',
  'y.hostmaster.mesh',
  '_grpc._tcp.orders.shop.mesh',
  'xmesh',
  'a.xmesh',
  'mesh.example.com',
  `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(57)}.mesh`,
];
const TYPES = [RRType.A, RRType.AAAA, RRType.ANY, RRType.SRV, RRType.SOA, RRType.NS, 16, 15, 65, 252, 41];

/** Flips the case of the letters where `mask` has a bit set. */
function recase(name: string, mask: number): string {
  return [...name].map((c, i) => ((mask >> (i % 30)) & 1 ? c.toUpperCase() : c)).join('');
}

const query = fc.record({
  name: fc.constantFrom(...NAMES),
  caseMask: fc.integer({ min: 0, max: 2 ** 30 - 1 }),
  type: fc.constantFrom(...TYPES),
  id: fc.integer({ min: 0, max: 0xffff }),
  recursionDesired: fc.boolean(),
  edns: fc.option(
    fc.record({
      udpPayloadSize: fc.constantFrom(0, 512, 1232, 4096, 65535),
      version: fc.constantFrom(0, 0, 0, 1),
      dnssecOk: fc.boolean(),
    }),
  ),
  transport: fc.constantFrom<Transport>('udp', 'tcp'),
});

type GeneratedQuery = typeof query extends fc.Arbitrary<infer T> ? T : never;

function packetOf(q: GeneratedQuery): Buffer {
  return encodeQuery(recase(q.name, q.caseMask), q.type, {
    id: q.id,
    recursionDesired: q.recursionDesired,
    ...(q.edns === null ? {} : { edns: q.edns }),
  });
}

/** What the server does with a query before the full path: read its head, find its stored answer, reply. */
function respondFromStore(packet: Buffer, head: QueryHead, answers: WireAnswers, transport: Transport) {
  if (!head.read(packet)) return undefined;
  const stored = answers.find(packet, head);
  if (stored < 0) return undefined;
  const reply = answers.reply(packet, head, stored, transport);
  return {
    reply,
    qtype: metricTypeName(head.type),
    rcode: rcodeName(answers.rcodeOf(stored)),
    truncated: ((reply[2] ?? 0) & 0x02) !== 0,
  };
}

describe('WireAnswers', () => {
  it('answers byte for byte as the full path does, whatever the case, type, EDNS and transport', () => {
    const zone = sampleZone();
    const answers = new WireAnswers(zone, options);
    const head = new QueryHead();
    let stored = 0;
    let negative = 0;
    fc.assert(
      fc.property(query, (q) => {
        const packet = packetOf(q);
        const fast = respondFromStore(packet, head, answers, q.transport);
        const full = respond(packet, zone, options, q.transport);
        if (fast !== undefined) {
          stored++;
          if (fast.rcode === 'NXDOMAIN' || fast.rcode === 'REFUSED') negative++;
          expect(fast.reply?.toString('hex')).toBe(full.reply?.toString('hex'));
          expect([fast.qtype, fast.rcode, fast.truncated]).toEqual([full.qtype, full.rcode, full.truncated]);
        }
      }),
      { numRuns: 3000 },
    );
    expect(stored).toBeGreaterThan(1000);
    expect(negative).toBeGreaterThan(200);
  });

  it('frames a TCP reply with its length in front when asked', () => {
    const zone = sampleZone();
    const answers = new WireAnswers(zone, options);
    const head = new QueryHead();
    for (const name of ['orders.shop.mesh', 'many.big.mesh', 'shop.mesh']) {
      const packet = encodeQuery(name.toUpperCase(), RRType.A, { id: 0x1234 });
      expect(head.read(packet)).toBe(true);
      const stored = answers.find(packet, head);
      if (stored < 0) throw new Error(`${name} has no stored answer`);
      const framed = answers.reply(packet, head, stored, 'tcp', true);
      const full = respond(packet, zone, options, 'tcp').reply ?? Buffer.alloc(0);
      expect(framed.readUInt16BE(0)).toBe(full.length);
      expect(framed.subarray(2).toString('hex')).toBe(full.toString('hex'));
    }
  });

  it('stores every answer: names of the zone, names it lacks and names outside it come from bytes', () => {
    const zone = sampleZone();
    const answers = new WireAnswers(zone, options);
    const head = new QueryHead();
    for (const name of NAMES.slice(0, 15)) {
      for (const type of [RRType.A, RRType.AAAA, RRType.ANY, RRType.SRV, RRType.SOA, RRType.NS, 16]) {
        expect(
          respondFromStore(encodeQuery(name, type), head, answers, 'udp'),
          `${name} ${type}`,
        ).toBeDefined();
      }
    }
    for (const name of ['nope.shop.mesh', 'NOPE.mesh', '_http._udp.orders.shop.mesh', 'a.b.c.d.e.mesh']) {
      expect(respondFromStore(encodeQuery(name, 16), head, answers, 'udp')?.rcode, name).toBe('NXDOMAIN');
    }
    for (const name of ['example.com', 'xmesh', 'mesh.example.com', '']) {
      expect(respondFromStore(encodeQuery(name, RRType.A), head, answers, 'udp')?.rcode, name).toBe(
        'REFUSED',
      );
    }
    // Their SOA would point at the label the name shares with the SOA's names: answered in full.
    for (const name of ['nope.dns.mesh', 'y.hostmaster.mesh', 'a.b.DNS.mesh']) {
      expect(respondFromStore(encodeQuery(name, RRType.A), head, answers, 'udp'), name).toBeUndefined();
    }
    expect(respondFromStore(encodeQuery('mesh', 252), head, answers, 'udp')).toBeUndefined();
  });

  it('follows the zone: a changed, added or removed Service and the serial in negative answers', () => {
    const zone = sampleZone();
    const answers = new WireAnswers(zone, options);
    const head = new QueryHead();
    const same = (name: string, type: number) => {
      const packet = encodeQuery(name, type);
      const fast = respondFromStore(packet, head, answers, 'udp');
      expect(fast?.reply?.toString('hex'), `${name} ${type}`).toBe(
        respond(packet, zone, options, 'udp').reply?.toString('hex'),
      );
    };
    zone.upsert({ namespace: 'shop', name: 'cart', clusterIPs: ['10.96.0.12', 'fd00::c'], ports: [] });
    same('cart.shop.mesh', RRType.A);
    same('cart.shop.mesh', RRType.AAAA);
    zone.upsert({
      namespace: 'new',
      name: 'svc',
      clusterIPs: ['10.96.1.1'],
      ports: [{ name: 'grpc', port: 9090, protocol: 'TCP' }],
    });
    same('svc.new.mesh', RRType.A);
    same('_grpc._tcp.svc.new.mesh', RRType.SRV);
    same('new.mesh', RRType.A);
    same('shop.mesh', 16);
    zone.remove('new', 'svc');
    same('svc.new.mesh', RRType.A);
    same('new.mesh', RRType.A);
    expect(respondFromStore(encodeQuery('new.mesh', RRType.A), head, answers, 'udp')?.rcode).toBe('NXDOMAIN');
    zone.remove('dns', 'ns');
    same('ns.dns.mesh', RRType.A);
    answers.close();
    zone.upsert({ namespace: 'late', name: 'one', clusterIPs: ['10.96.2.2'], ports: [] });
    expect(respondFromStore(encodeQuery('one.late.mesh', RRType.A), head, answers, 'udp')?.rcode).not.toBe(
      'NOERROR',
    );
  });

  it('answers NXDOMAIN and REFUSED of every name length as the full path does, in a deeper domain', () => {
    const zone = new MeshZone('cluster.local');
    zone.upsert({ namespace: 'shop', name: 'orders', clusterIPs: ['10.96.0.10'], ports: [] });
    const deep: ResolverOptions = {
      ...resolverDefaults('cluster.local'),
      nsName: 'ns.dns.cluster.local',
      hostmaster: 'admin.example.org',
    };
    const answers = new WireAnswers(zone, deep);
    const head = new QueryHead();
    const fromBytes = new Set<string>();
    // Names of 1 to 240 characters before the domain, in labels of 1 to 63, in mixed case.
    const nameOf = (length: number, seed: number, suffix: string) => {
      const labels: string[] = [];
      let left = length;
      for (let i = 0; left > 0; i++) {
        const size = Math.min(left, 1 + ((seed * (i + 7)) % 63));
        labels.push(recase('x-y_z9'.repeat(11).slice(0, size), seed * (i + 1)));
        left -= size + 1;
      }
      return `${labels.join('.')}.${suffix}`;
    };
    for (let length = 1; length <= 240; length++) {
      for (const suffix of ['cluster.local', 'CLUSTER.Local', 'local', 'cluster.local.example']) {
        const name = nameOf(length, length + suffix.length, suffix);
        if (name.length > 253) continue;
        for (const transport of ['udp', 'tcp'] as const) {
          const packet = encodeQuery(name, RRType.AAAA, {
            edns: { udpPayloadSize: 1232, version: 0, dnssecOk: true },
          });
          const fast = respondFromStore(packet, head, answers, transport);
          const full = respond(packet, zone, deep, transport);
          expect(fast?.reply.toString('hex'), name).toBe(full.reply?.toString('hex'));
          fromBytes.add(`${fast?.rcode}`);
        }
      }
    }
    expect([...fromBytes].sort()).toEqual(['NXDOMAIN', 'REFUSED']);
  });

  it('leaves names it lacks to the full path while a name that exists could not be stored', () => {
    const zone = new MeshZone('mesh');
    const answers = new WireAnswers(zone, options);
    const head = new QueryHead();
    const rcode = (name: string) =>
      respondFromStore(encodeQuery(name, RRType.A), head, answers, 'udp')?.rcode;
    expect(rcode('huge.shop.mesh')).toBe('NXDOMAIN');
    // 4 100 A records: more than the store's two-byte length of an answer's records.
    const many = Array.from({ length: 4100 }, (_, i) => `10.${100 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}`);
    zone.upsert({ namespace: 'shop', name: 'huge', clusterIPs: many, ports: [] });
    expect(rcode('huge.shop.mesh')).toBeUndefined();
    expect(rcode('nope.shop.mesh')).toBeUndefined();
    expect(rcode('example.com')).toBe('REFUSED');
    zone.remove('shop', 'huge');
    expect(rcode('huge.shop.mesh')).toBe('NXDOMAIN');
  });

  it('shares the negative answers of names alike', () => {
    const zone = new MeshZone('mesh');
    for (let i = 0; i < 50; i++) {
      zone.upsert({ namespace: 'bench', name: `svc-${100 + i}`, clusterIPs: [`10.2.0.${i + 1}`], ports: [] });
    }
    const answers = new WireAnswers(zone, options);
    const head = new QueryHead();
    const nodata = (name: string) => {
      const packet = encodeQuery(name, RRType.AAAA);
      expect(head.read(packet)).toBe(true);
      return answers.find(packet, head);
    };
    expect(nodata('svc-100.bench.mesh')).toBe(nodata('svc-149.bench.mesh'));
    expect(answers.size).toBe(50 + 1 + 2);
  });
});
