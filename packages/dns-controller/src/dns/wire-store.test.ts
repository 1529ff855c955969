import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ANSWER_RECORDS_LENGTH,
  ANSWER_SERIAL_OFFSETS,
  ANSWER_SERIALS,
  type SlottedAnswers,
  type StorableAnswer,
  WireStore,
  wireNameHash,
} from './wire-store.js';

/** The wire form of a dotted name without its root: length-prefixed labels. */
function wire(name: string): Buffer {
  return Buffer.concat(
    name
      .split('.')
      .map((label) => Buffer.concat([Buffer.from([label.length]), Buffer.from(label, 'latin1')])),
  );
}

function answer(text: string, serialOffsets: readonly number[] = []): StorableAnswer {
  return {
    flags: 0x8400,
    rcode: 0,
    answers: 1,
    authorities: 0,
    additionals: 0,
    records: Buffer.from(text),
    serialOffsets,
  };
}

/** Each slot's answer named after the name and the slot; every other type shares `nodata`. */
function answersOf(name: string, nodata: StorableAnswer): SlottedAnswers<StorableAnswer> {
  return {
    a: answer(`${name} A`),
    aaaa: answer(`${name} AAAA`),
    any: answer(`${name} ANY`, [0]),
    srv: nodata,
    soa: answer(`${name} SOA`),
    ns: nodata,
    otherwise: nodata,
  };
}

/** A store over its own record of names, as WireAnswers keeps one. */
function storeWithSource(seed?: number, unnamed: readonly StorableAnswer[] = []) {
  const source = new Map<string, SlottedAnswers<StorableAnswer>>();
  const store = new WireStore<StorableAnswer>(
    () => [...source].map(([name, answers]) => [wire(name), answers] as const),
    seed,
    unnamed,
  );
  return {
    store,
    set(name: string, answers: SlottedAnswers<StorableAnswer>) {
      source.set(name, answers);
      store.set(wire(name), answers);
    },
    delete(name: string) {
      source.delete(name);
      return store.delete(wire(name));
    },
  };
}

/** The records of the answer found for `name` (in any case) and `type`, as text; undefined if none. */
function found(store: WireStore<StorableAnswer>, name: string, type: number): string | undefined {
  const packet = Buffer.concat([Buffer.alloc(12), wire(name), Buffer.from([0])]);
  const at = store.find(packet, 12, packet.length - 1, type);
  if (at < 0) return undefined;
  const bytes = store.bytes;
  const serials = bytes[at + ANSWER_SERIALS] ?? 0;
  const length = bytes.readUInt16BE(at + ANSWER_RECORDS_LENGTH);
  const records = at + ANSWER_SERIAL_OFFSETS + serials * 2;
  return bytes.toString('latin1', records, records + length);
}

/** Two different names of the same hash under `seed`, found by trying names in order. */
function collidingPair(seed: number): [string, string] {
  const seen = new Map<number, string>();
  for (let i = 0; ; i++) {
    const name = `svc-${i}.bench.mesh`;
    const bytes = wire(name);
    const hash = wireNameHash(seed, bytes, 0, bytes.length);
    const other = seen.get(hash);
    if (other !== undefined) return [other, name];
    seen.set(hash, name);
  }
}

describe('WireStore', () => {
  const nodata = answer('nodata');

  it('finds a name where it lies in a packet, whatever the case of its letters, by query type', () => {
    const { store, set } = storeWithSource(7);
    set('orders.shop.mesh', answersOf('orders', nodata));
    expect(found(store, 'ORDERS.Shop.mesh', 1)).toBe('orders A');
    expect(found(store, 'orders.shop.mesh', 28)).toBe('orders AAAA');
    expect(found(store, 'orders.shop.mesh', 255)).toBe('orders ANY');
    expect(found(store, 'orders.shop.mesh', 6)).toBe('orders SOA');
    expect(found(store, 'orders.shop.mesh', 16)).toBe('nodata');
    expect(found(store, 'orders.shop.mes', 1)).toBeUndefined();
    expect(found(store, 'xorders.shop.mesh', 1)).toBeUndefined();
  });

  it('folds ASCII letters only: other bytes must match exactly', () => {
    const { store, set } = storeWithSource(7);
    set('a-b_c.mesh', answersOf('abc', nodata));
    set('{.mesh', answersOf('brace', nodata));
    expect(found(store, 'A-B_C.MESH', 1)).toBe('abc A');
    // `[` is `{` less 32, as `A` is `a` less 32, but not a letter: not folded.
    expect(found(store, '[.mesh', 1)).toBeUndefined();
    expect(found(store, '\u00c0.mesh', 1)).toBeUndefined();
  });

  it('keeps names of the same hash apart, through replacing and deleting', () => {
    const seed = 12345;
    const [first, second] = collidingPair(seed);
    const { store, set, delete: remove } = storeWithSource(seed);
    set(first, answersOf('first', nodata));
    set(second, answersOf('second', nodata));
    expect([found(store, first, 1), found(store, second, 1)]).toEqual(['first A', 'second A']);
    set(first, answersOf('first again', nodata));
    expect(store.size).toBe(2);
    expect(found(store, first, 1)).toBe('first again A');
    expect(remove(second)).toBe(true);
    expect(remove(second)).toBe(false);
    expect(found(store, second, 1)).toBeUndefined();
    expect(found(store, first, 1)).toBe('first again A');
    set(second, answersOf('second', nodata));
    expect(remove(first)).toBe(true);
    expect([store.has(wire(first)), store.has(wire(second)), store.size]).toEqual([false, true, 1]);
  });

  it('keeps no name whose answers do not fit the layout (the full path answers it)', () => {
    const { store, set } = storeWithSource();
    set('big.mesh', { ...answersOf('big', nodata), srv: answer('x'.repeat(70_000)) });
    set('small.mesh', answersOf('small', nodata));
    expect([store.has(wire('big.mesh')), found(store, 'big.mesh', 1), store.size]).toEqual([
      false,
      undefined,
      1,
    ]);
    expect(found(store, 'small.mesh', 1)).toBe('small A');
  });

  it('keeps answers that belong to no name where they were, with their bytes, through compactions', () => {
    const unnamed = [answer('REFUSED'), answer('NXDOMAIN', [2])];
    const { store, set, delete: remove } = storeWithSource(undefined, unnamed);
    const records = (at: number) => {
      const bytes = store.bytes;
      const serials = bytes[at + ANSWER_SERIALS] ?? 0;
      const start = at + ANSWER_SERIAL_OFFSETS + serials * 2;
      return bytes.toString('latin1', start, start + bytes.readUInt16BE(at + ANSWER_RECORDS_LENGTH));
    };
    const [refused = -1, nxdomain = -1] = store.unnamedAt;
    expect([records(refused), records(nxdomain)]).toEqual(['REFUSED', 'NXDOMAIN']);
    for (let round = 0; round < 4; round++) {
      for (let i = 0; i < 2000; i++) set(`svc-${i}.mesh`, answersOf(`svc-${i}#${round}`, answer('nodata')));
      for (let i = 0; i < 2000; i += 2) remove(`svc-${i}.mesh`);
    }
    expect(store.unnamedAt).toEqual([refused, nxdomain]);
    expect([records(refused), records(nxdomain)]).toEqual(['REFUSED', 'NXDOMAIN']);
    expect(found(store, 'svc-1.mesh', 1)).toBe('svc-1#3 A');
  });

  it('writes an answer shared by many names once', () => {
    const { store, set } = storeWithSource();
    set('one.mesh', answersOf('one', nodata));
    set('two.mesh', answersOf('two', nodata));
    const at = (name: string) => {
      const packet = wire(name);
      return store.find(packet, 0, packet.length, 16);
    };
    expect(at('one.mesh')).toBe(at('two.mesh'));
  });

  it('answers the same through growth, tombstones and compactions', () => {
    const { store, set, delete: remove } = storeWithSource();
    const live = new Map<string, string>();
    // Enough churn to grow the table and the bytes and compact several times.
    for (let round = 0; round < 6; round++) {
      for (let i = 0; i < 2000; i++) {
        const name = `svc-${i}.ns-${i % 7}.mesh`;
        if ((i + round) % 5 === 0) {
          remove(name);
          live.delete(name);
        } else {
          set(name, answersOf(`${name}#${round}`, nodata));
          live.set(name, `${name}#${round} A`);
        }
      }
    }
    expect(store.size).toBe(live.size);
    for (let i = 0; i < 2000; i++) {
      const name = `svc-${i}.ns-${i % 7}.mesh`;
      expect(found(store, name.toUpperCase(), 1)).toBe(live.get(name));
    }
    // 12 000 changes wrote about 2.5 MB; compactions keep the bytes within a few times what 1 600 names need.
    expect(store.bytes.length).toBeLessThanOrEqual(2 ** 20);
  });

  it('behaves as a Map of the lower-cased names', () => {
    const label = fc.stringMatching(/^[a-z0-9_-]{1,5}$/);
    const name = fc.array(label, { minLength: 1, maxLength: 3 }).map((labels) => labels.join('.'));
    const op = fc.record({ kind: fc.constantFrom('set', 'delete'), name, value: fc.nat() });
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), fc.nat(), (ops, seed) => {
        const { store, set, delete: remove } = storeWithSource(seed);
        const model = new Map<string, number>();
        for (const { kind, name: n, value } of ops) {
          if (kind === 'set') {
            set(n, answersOf(String(value), nodata));
            model.set(n, value);
          } else {
            expect(remove(n)).toBe(model.delete(n));
          }
        }
        expect(store.size).toBe(model.size);
        for (const { name: n } of ops) {
          const value = model.get(n);
          expect(found(store, n.toUpperCase(), 1)).toBe(value === undefined ? undefined : `${value} A`);
        }
      }),
    );
  });
});
