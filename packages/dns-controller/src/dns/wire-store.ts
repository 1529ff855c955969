/**
 * The stored answers laid out for the query path: every name and every answer in one byte array, found
 * through one open-addressing table of integers. A query is answered from memory that sits together: a
 * slot of the table, then the name's entry with, right after it, its own answers. Objects, Maps and small
 * Buffers would scatter the same data over the heap, and with thousands of names each of their pointers is
 * a cache miss per query: on a 2-core VM with 10 000 Services, a Map from hashes to objects holding Buffers
 * took 1.7 µs per lookup, this layout about 0.3 µs.
 *
 * The query's name is hashed and compared where it lies in the packet, ASCII letters folded to lower case
 * on the way: no string, no key object. Only ASCII letters are folded: the names kept are DNS labels of
 * Services and ports (letters, digits, `-`, `_`), so a name with any other byte matches nothing either way.
 *
 * Layout. Name entry: length (1 byte), the name's wire form in lower case without the root, then one 4-byte
 * offset per answer slot (A, AAAA, ANY, SRV, SOA, NS, any other type). Answer: flags (2 bytes: QR, AA and the
 * rcode's low bits), the three record counts (2 bytes each), the rcode's high bits (1), how many SOA serials
 * (1), the records' length (2), the serials' offsets in the records (2 each), then the records. An answer
 * shared by many names (NODATA) is written once. Answers that belong to no name (a zone's REFUSED and
 * NXDOMAIN) can be given when the store is made: they come first and keep their offsets for good.
 *
 * Changes append; a removed or replaced name leaves its bytes behind until the bytes in use reach twice
 * what the last compaction kept, when everything is written anew from the names given (amortised O(1) per
 * change). Reads never see a half-written entry: JavaScript runs one thing at a time.
 */

/** The answers of one name by slot, as `WireAnswers` builds them. */
export interface SlottedAnswers<A> {
  readonly a: A;
  readonly aaaa: A;
  readonly any: A;
  readonly srv: A;
  readonly soa: A;
  readonly ns: A;
  readonly otherwise: A;
}

/** What the store keeps of one answer. */
export interface StorableAnswer {
  readonly flags: number;
  readonly rcode: number;
  readonly answers: number;
  readonly authorities: number;
  readonly additionals: number;
  readonly records: Buffer;
  readonly serialOffsets: readonly number[];
}

/** Offsets within an answer. */
export const ANSWER_FLAGS = 0;
export const ANSWER_COUNTS = 2;
export const ANSWER_RCODE_HIGH = 8;
export const ANSWER_SERIALS = 9;
export const ANSWER_RECORDS_LENGTH = 10;
export const ANSWER_SERIAL_OFFSETS = 12;

const SLOTS = 7;
const SLOT_OTHERWISE = 6;
const FNV_PRIME = 0x01000193;
/** Hashes are kept within 30 bits; the table holds hash + 1 so that 0 means empty. */
const HASH_MASK = 0x3fffffff;
const TOMBSTONE = -1;
const MIN_BYTES = 64 * 1024;
const MIN_TABLE = 1024;

/** The query type's answer slot. */
function slotOf(type: number): number {
  switch (type) {
    case 1: // A
      return 0;
    case 28: // AAAA
      return 1;
    case 255: // ANY
      return 2;
    case 33: // SRV
      return 3;
    case 6: // SOA
      return 4;
    case 2: // NS
      return 5;
    default:
      return SLOT_OTHERWISE;
  }
}

/** A name's answers in the order of their slots in the name's entry. */
function inSlotOrder<A extends StorableAnswer>(answers: SlottedAnswers<A>): readonly A[] {
  return [answers.a, answers.aaaa, answers.any, answers.srv, answers.soa, answers.ns, answers.otherwise];
}

/** Whether a name and its answers fit the layout's one- and two-byte lengths. */
function fits<A extends StorableAnswer>(name: Buffer, answers: SlottedAnswers<A>): boolean {
  if (name.length > 0xff) return false;
  for (const answer of inSlotOrder(answers)) {
    if (answer.records.length > 0xffff || answer.serialOffsets.length > 0xff) return false;
  }
  return true;
}

/** FNV-1a from `seed` over `bytes[start, end)`, ASCII letters folded to lower case, within 30 bits. */
export function wireNameHash(seed: number, bytes: Uint8Array, start: number, end: number): number {
  let hash = seed;
  for (let i = start; i < end; i++) {
    const byte = bytes[i] as number;
    hash = Math.imul(hash ^ (byte >= 65 && byte <= 90 ? byte | 0x20 : byte), FNV_PRIME);
  }
  return (hash ^ (hash >>> 15)) & HASH_MASK;
}

/** Bytes `answer` takes in the layout. */
function answerSize(answer: StorableAnswer): number {
  return ANSWER_SERIAL_OFFSETS + answer.serialOffsets.length * 2 + answer.records.length;
}

/** Writes `answer` at `at` in the layout (the caller made room: `answerSize`). */
function writeAnswer(bytes: Buffer, at: number, answer: StorableAnswer): void {
  const serials = answer.serialOffsets.length;
  bytes.writeUInt16BE(answer.flags, at + ANSWER_FLAGS);
  bytes.writeUInt16BE(answer.answers, at + ANSWER_COUNTS);
  bytes.writeUInt16BE(answer.authorities, at + ANSWER_COUNTS + 2);
  bytes.writeUInt16BE(answer.additionals, at + ANSWER_COUNTS + 4);
  bytes[at + ANSWER_RCODE_HIGH] = answer.rcode >>> 4;
  bytes[at + ANSWER_SERIALS] = serials;
  bytes.writeUInt16BE(answer.records.length, at + ANSWER_RECORDS_LENGTH);
  for (const [i, offset] of answer.serialOffsets.entries())
    bytes.writeUInt16BE(offset, at + ANSWER_SERIAL_OFFSETS + i * 2);
  answer.records.copy(bytes, at + ANSWER_SERIAL_OFFSETS + serials * 2);
}

export class WireStore<A extends StorableAnswer> {
  /** Name entries and answers. */
  #bytes = Buffer.alloc(MIN_BYTES);
  #used = 0;
  /** Bytes in use after the last compaction: the next one comes at twice that. */
  #kept = 0;
  /** Pairs (hash + 1, entry offset); hash 0 = empty slot, TOMBSTONE = removed. */
  #table = new Int32Array(MIN_TABLE * 2);
  #names = 0;
  #tombstones = 0;
  /** Where each answer written since the last compaction sits, so that shared answers are written once. */
  #written = new Map<A, number>();
  /** A different start per store, so that which names collide cannot be worked out in advance. */
  readonly #seed: number;
  /** All names and their answers, for a compaction: the caller's own record of them. */
  readonly #source: () => Iterable<readonly [Buffer, SlottedAnswers<A>]>;
  readonly #unnamed: readonly A[];
  /** Where each answer given as `unnamed` sits, in their order: the same through every compaction. */
  readonly unnamedAt: readonly number[];

  constructor(
    source: () => Iterable<readonly [Buffer, SlottedAnswers<A>]>,
    seed: number = (Math.random() * 0x100000000) >>> 0,
    unnamed: readonly A[] = [],
  ) {
    this.#source = source;
    this.#seed = seed;
    this.#unnamed = unnamed;
    this.unnamedAt = this.#writeUnnamed();
  }

  /** The bytes answers are read from (valid until the next change). */
  get bytes(): Buffer {
    return this.#bytes;
  }

  get size(): number {
    return this.#names;
  }

  /**
   * The offset of the answer to the name in `packet[start, end)` (a question name without its root) and
   * query `type`, or -1 when the name is not kept.
   */
  find(packet: Uint8Array, start: number, end: number, type: number): number {
    const bytes = this.#bytes;
    const entry = this.#entry(packet, start, end);
    if (entry < 0) return -1;
    const at = entry + 1 + (end - start) + slotOf(type) * 4;
    return (
      (((bytes[at] as number) << 24) |
        ((bytes[at + 1] as number) << 16) |
        ((bytes[at + 2] as number) << 8) |
        (bytes[at + 3] as number)) >>>
      0
    );
  }

  /**
   * Keeps `answers` for `name` (lower case wire form, no root), replacing what it had. A name whose answers
   * do not fit the layout (records over 65 535 bytes, more than 255 serials) is not kept: the full path
   * answers it. Returns whether the name was kept.
   */
  set(name: Buffer, answers: SlottedAnswers<A>): boolean {
    this.#remove(name);
    const kept = fits(name, answers);
    if (kept) this.#write(name, answers);
    this.#compactIfWasteful();
    return kept;
  }

  /** Forgets `name`; returns whether it was kept. */
  delete(name: Buffer): boolean {
    const removed = this.#remove(name);
    if (removed) this.#compactIfWasteful();
    return removed;
  }

  has(name: Buffer): boolean {
    return this.#entry(name, 0, name.length) >= 0;
  }

  /** The entry of a name, or -1. */
  #entry(packet: Uint8Array, start: number, end: number): number {
    const length = end - start;
    const table = this.#table;
    const mask = (table.length >>> 1) - 1;
    const wanted = wireNameHash(this.#seed, packet, start, end) + 1;
    const bytes = this.#bytes;
    for (let slot = wanted & mask; ; slot = (slot + 1) & mask) {
      const hash = table[slot * 2] as number;
      if (hash === 0) return -1;
      if (hash !== wanted) continue;
      const entry = table[slot * 2 + 1] as number;
      if (bytes[entry] !== length) continue;
      let same = true;
      for (let i = 0; i < length; i++) {
        const byte = packet[start + i] as number;
        if ((byte >= 65 && byte <= 90 ? byte | 0x20 : byte) !== bytes[entry + 1 + i]) {
          same = false;
          break;
        }
      }
      if (same) return entry;
    }
  }

  #remove(name: Buffer): boolean {
    const table = this.#table;
    const mask = (table.length >>> 1) - 1;
    const wanted = wireNameHash(this.#seed, name, 0, name.length) + 1;
    for (let slot = wanted & mask; ; slot = (slot + 1) & mask) {
      const hash = table[slot * 2] as number;
      if (hash === 0) return false;
      if (hash !== wanted) continue;
      const entry = table[slot * 2 + 1] as number;
      if (
        this.#bytes[entry] === name.length &&
        this.#bytes.subarray(entry + 1, entry + 1 + name.length).equals(name)
      ) {
        table[slot * 2] = TOMBSTONE;
        this.#names--;
        this.#tombstones++;
        return true;
      }
    }
  }

  /** Appends the name's entry, then those of its answers not yet written, and indexes the name. */
  #write(name: Buffer, answers: SlottedAnswers<A>): void {
    const entry = this.#reserve(1 + name.length + SLOTS * 4);
    this.#bytes[entry] = name.length;
    name.copy(this.#bytes, entry + 1);
    const bySlot = inSlotOrder(answers);
    for (const [slot, answer] of bySlot.entries()) {
      let at = this.#written.get(answer);
      if (at === undefined) {
        at = this.#writeAnswer(answer);
        this.#written.set(answer, at);
      }
      this.#bytes.writeUInt32BE(at, entry + 1 + name.length + slot * 4);
    }
    this.#index(wireNameHash(this.#seed, name, 0, name.length) + 1, entry);
  }

  #writeAnswer(answer: A): number {
    const at = this.#reserve(answerSize(answer));
    writeAnswer(this.#bytes, at, answer);
    return at;
  }

  /** Room for `length` more bytes; returns where they start. */
  #reserve(length: number): number {
    const at = this.#used;
    if (at + length > this.#bytes.length) {
      const grown = Buffer.alloc(Math.max(this.#bytes.length * 2, at + length));
      this.#bytes.copy(grown, 0, 0, at);
      this.#bytes = grown;
    }
    this.#used = at + length;
    return at;
  }

  /** Puts (hash, entry) in the table, growing it first when it would be more than half full. */
  #index(hash: number, entry: number): void {
    if ((this.#names + this.#tombstones + 1) * 2 > this.#table.length >>> 1) this.#rehash();
    const table = this.#table;
    const mask = (table.length >>> 1) - 1;
    let slot = hash & mask;
    while ((table[slot * 2] as number) > 0) slot = (slot + 1) & mask;
    if (table[slot * 2] === TOMBSTONE) this.#tombstones--;
    table[slot * 2] = hash;
    table[slot * 2 + 1] = entry;
    this.#names++;
  }

  /** A table sized for the names kept (at most a quarter full), without tombstones. */
  #rehash(): void {
    const old = this.#table;
    let capacity = MIN_TABLE;
    while (capacity < (this.#names + 1) * 4) capacity *= 2;
    const table = new Int32Array(capacity * 2);
    const mask = capacity - 1;
    for (let i = 0; i < old.length; i += 2) {
      const hash = old[i] as number;
      if (hash <= 0) continue;
      let slot = hash & mask;
      while (table[slot * 2] !== 0) slot = (slot + 1) & mask;
      table[slot * 2] = hash;
      table[slot * 2 + 1] = old[i + 1] as number;
    }
    this.#table = table;
    this.#tombstones = 0;
  }

  /** Writes everything anew once the bytes in use are twice what the last compaction kept. */
  #compactIfWasteful(): void {
    if (this.#used <= Math.max(MIN_BYTES, this.#kept * 2)) return;
    this.#bytes = Buffer.alloc(MIN_BYTES);
    this.#used = 0;
    this.#table = new Int32Array(MIN_TABLE * 2);
    this.#names = 0;
    this.#tombstones = 0;
    this.#written = new Map();
    this.#writeUnnamed();
    for (const [name, answers] of this.#source()) if (fits(name, answers)) this.#write(name, answers);
    this.#kept = this.#used;
  }

  /** Writes the unnamed answers at the start of empty bytes (so always at the same offsets). */
  #writeUnnamed(): number[] {
    return this.#unnamed.map((answer) => this.#writeAnswer(answer));
  }
}
