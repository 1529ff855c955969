import { describe, expect, it } from 'vitest';
import { decodeQuery } from './decode.js';
import { RRType } from './message.js';
import { encodeQuery } from './query.js';

const hex = (text: string) => Buffer.from(text.replace(/\s/g, ''), 'hex');
/** Header: id 0x1234, RD, one question, arcount as given. */
const header = (arcount = 0) => `1234 0100 0001 0000 0000 ${arcount.toString(16).padStart(4, '0')}`;
const orders = '06 6f7264657273 04 73686f70 04 6d657368 00'; // orders.shop.mesh

describe('decodeQuery', () => {
  it('reads a plain query', () => {
    const result = decodeQuery(hex(`${header()} ${orders} 0001 0001`));
    expect(result).toEqual({
      kind: 'query',
      query: {
        id: 0x1234,
        opcode: 0,
        recursionDesired: true,
        questions: [{ labels: ['orders', 'shop', 'mesh'], type: RRType.A, class: 1 }],
        edns: undefined,
      },
    });
  });

  it('reads the OPT record: payload size, version, DO bit', () => {
    const result = decodeQuery(hex(`${header(1)} ${orders} 0001 0001  00 0029 04d0 00 01 8000 0000`));
    expect(result.kind === 'query' && result.query.edns).toEqual({
      udpPayloadSize: 1232,
      version: 1,
      dnssecOk: true,
    });
  });

  it('skips EDNS options it does not use', () => {
    const cookie = '000a 0008 0102030405060708';
    const result = decodeQuery(
      hex(`${header(1)} ${orders} 0001 0001  00 0029 1000 00 00 0000 000c ${cookie}`),
    );
    expect(result.kind).toBe('query');
  });

  it('follows a backward compression pointer', () => {
    // An extra record whose name points at the question's "shop.mesh".
    const result = decodeQuery(
      hex(`${header(1)} ${orders} 0001 0001  c013 0001 0001 00000000 0004 0a000001`),
    );
    expect(result.kind).toBe('query');
  });

  it.each([
    ['a pointer to itself', `${header()} c00c 0001 0001`, 'does not point back'],
    ['a forward pointer', `${header()} c00e 00 0001 0001`, 'does not point back'],
    ['a cut question', `${header()} ${orders} 0001`, 'ends inside a field'],
    ['a cut name', `${header()} 06 6f7264`, 'label runs past'],
    ['a name with no end', `${header()} 06 6f7264657273`, 'name runs past'],
    ['an extended label type', `${header()} 41 00 0001 0001`, 'unsupported label type'],
    [
      'two OPT records',
      `${header(2)} ${orders} 0001 0001 00 0029 1000 00000000 0000 00 0029 1000 00000000 0000`,
      'more than one OPT',
    ],
    [
      'an OPT with a name',
      `${header(1)} ${orders} 0001 0001 01 61 00 0029 1000 00000000 0000`,
      'OPT record with a name',
    ],
    [
      'record data past the end',
      `${header(1)} ${orders} 0001 0001 00 0029 1000 00000000 00ff`,
      'runs past the end',
    ],
    ['trailing bytes', `${header()} ${orders} 0001 0001 ffff`, 'after the last record'],
    ['no question', '1234 0100 0000 0000 0000 0000', 'exactly one question'],
    ['two questions', `1234 0100 0002 0000 0000 0000 ${orders} 0001 0001 ${orders} 0001 0001`, 'exactly one'],
  ])('answers FORMERR to %s', (_, packet, reason) => {
    const result = decodeQuery(hex(packet));
    expect(result).toEqual(expect.objectContaining({ kind: 'formerr', id: 0x1234 }));
    expect(result.kind === 'formerr' && result.reason).toContain(reason);
  });

  it('rejects a name longer than 255 bytes', () => {
    const label = `3f ${'61'.repeat(63)}`;
    const result = decodeQuery(hex(`${header()} ${label} ${label} ${label} ${label} 00 0001 0001`));
    expect(result.kind === 'formerr' && result.reason).toContain('longer than 255');
  });

  it('drops what has no header, and responses', () => {
    expect(decodeQuery(Buffer.alloc(11)).kind).toBe('drop');
    expect(decodeQuery(hex(`1234 8100 0001 0000 0000 0000 ${orders} 0001 0001`)).kind).toBe('drop');
  });

  it('does not read the body of other opcodes', () => {
    const result = decodeQuery(hex('1234 2800 0001 0000 0000 0000 ff'));
    expect(result).toEqual(
      expect.objectContaining({ kind: 'query', query: expect.objectContaining({ opcode: 5 }) }),
    );
  });

  it('never throws on random or mutated input', () => {
    let seed = 7;
    const random = () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed;
    };
    const real = encodeQuery('orders.shop.mesh', RRType.SRV, {
      edns: { udpPayloadSize: 1232, version: 0, dnssecOk: false },
    });
    const kinds = new Set<string>();
    for (let i = 0; i < 20_000; i++) {
      const packet = Buffer.from(real.subarray(0, random() % (real.length + 1)));
      for (let flips = random() % 4; flips > 0 && packet.length > 0; flips--)
        packet[random() % packet.length] = random() & 0xff;
      kinds.add(decodeQuery(packet).kind);
    }
    expect([...kinds].sort()).toEqual(['drop', 'formerr', 'query']);
  });
});
