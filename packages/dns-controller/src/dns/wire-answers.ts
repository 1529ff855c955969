/**
 * The zone's answers held as wire bytes. When a Service changes, the answers of each name it owns are
 * built once by the resolver itself (`resolve`, then `encode`) and kept as the bytes after the question; a
 * query of the common shape (query-head.ts) is then answered by copying: its own header fields and
 * question, the stored bytes, the zone's current SOA serial written where the SOA sits, and an OPT record
 * when it sent one. No record objects, no name compression and no address parsing per query; and since the
 * bytes come from the resolver, a stored answer is the answer the full path would give, byte for byte.
 *
 * What is stored: for every name that exists (the apex, the name server's name, each namespace, each
 * Service, its `_tcp`/`_udp` names and its named ports) the answers to the types that can have records
 * there, and one NODATA answer for every other type (shared by all names whose apex sits at the same
 * offset). Beside them, the answers to names that are not stored: one REFUSED for names outside the zone,
 * and one NXDOMAIN per length of the name (its SOA points into the question at the apex, so the bytes
 * depend only on where the apex sits). These do not change with the zone's Services; only the serial does,
 * written per reply. A name whose label before the apex is one of the SOA's own labels (`dns` in
 * `x.dns.mesh`, whose SOA compresses differently), zone transfers and unusual queries take the full path;
 * the property test in wire-answers.test.ts holds both paths to the same bytes.
 *
 * Per query the work is what the query itself decides: its name is looked up by its bytes where it lies in
 * the packet, in a store that keeps names and answers side by side in one byte array (wire-store.ts), and
 * the reply is written byte by byte into one new buffer. Everything else (the header flags, the counts,
 * where the serial goes) was decided when the answer was built.
 */
import { type ResolverOptions, resolve } from './answer.js';
import { encodeWithSerials } from './encode.js';
import { CLASSIC_UDP_LIMIT, type Query, Rcode, RRType } from './message.js';
import type { QueryHead } from './query-head.js';
import {
  ANSWER_COUNTS,
  ANSWER_FLAGS,
  ANSWER_RCODE_HIGH,
  ANSWER_RECORDS_LENGTH,
  ANSWER_SERIAL_OFFSETS,
  ANSWER_SERIALS,
  WireStore,
} from './wire-store.js';
import type { MeshServiceEntry, MeshZone } from './zone.js';

/** One stored answer: the flags and counts of its header, and its records as bytes. */
export interface WireAnswer {
  readonly rcode: number;
  readonly authoritative: boolean;
  /** The reply's flags but for TC and RD, which the query decides: QR, AA and the rcode's low bits. */
  readonly flags: number;
  readonly answers: number;
  readonly authorities: number;
  readonly additionals: number;
  /** The records, encoded as if they followed the question (compression pointers point into it). */
  readonly records: Buffer;
  /** Offsets in `records` of SOA serials, rewritten with the zone's serial per reply. */
  readonly serialOffsets: readonly number[];
}

/** The stored answers of one name, by query type. */
export interface NameAnswers {
  readonly a: WireAnswer;
  readonly aaaa: WireAnswer;
  readonly any: WireAnswer;
  readonly srv: WireAnswer;
  readonly soa: WireAnswer;
  readonly ns: WireAnswer;
  readonly otherwise: WireAnswer;
}

/** A type no name has records of: its answer is every other type's. */
const OTHER_TYPE = 16;
const ALL_TYPES: readonly number[] = [RRType.A, RRType.AAAA, RRType.ANY, RRType.SRV, RRType.SOA, RRType.NS];
const ADDRESS_TYPES: readonly number[] = [RRType.A, RRType.AAAA, RRType.ANY];
const SRV_TYPES: readonly number[] = [RRType.SRV, RRType.ANY];
const OPT_LENGTH = 11;
const TCP_LIMIT = 65535;
const HEADER = 12;
const MAX_NAME = 255;
/** `find` found nothing: the full path answers. */
const NONE = -1;

/** The lower-cased wire form of a name (without the root), as QueryHead computes it from a query. */
export function wireKey(labels: readonly string[]): string {
  let key = '';
  for (const label of labels) key += String.fromCharCode(label.length) + label.toLowerCase();
  return key;
}

/** The same as bytes, as the store keeps it. */
function wireName(key: string): Buffer {
  return Buffer.from(key, 'latin1');
}

export class WireAnswers {
  readonly #zone: MeshZone;
  readonly #options: ResolverOptions;
  /** Every name with stored answers, by its wire key: what the store is written from. */
  readonly #names = new Map<string, NameAnswers>();
  /** The same names and answers laid out for queries. */
  readonly #store: WireStore<WireAnswer>;
  /** The apex and the name server's name: never replaced by a Service's name, as the resolver checks them first. */
  readonly #fixed = new Set<string>();
  /** `<namespace>/<name>` → the keys of the names that Service owns. */
  readonly #owned = new Map<string, readonly string[]>();
  /** NODATA answers by the wire length of the name: they differ only in where the apex sits. */
  readonly #nodataByLength = new Map<number, WireAnswer>();
  /** Suffixes of the SOA's names (name server, hostmaster) longer than the domain. */
  readonly #soaSuffixes = new Set<string>();
  /** Names that exist but the store could not keep (too large for its layout): while any, misses take the full path. */
  readonly #unstored = new Set<string>();
  /** Where the REFUSED answer sits in the store, or NONE. */
  readonly #refused: number;
  /** Where the NXDOMAIN answer to a name of each wire length (root included) sits in the store, or NONE. */
  readonly #nxdomain = new Int32Array(MAX_NAME + 1).fill(NONE);
  /** The domain's wire form in lower case, without the root. */
  readonly #domainWire: Buffer;
  /** The SOA names' labels just before the domain, as wire bytes in lower case (`\x03dns`, `\x0ahostmaster`). */
  readonly #soaLabels: Buffer[] = [];
  readonly #unsubscribe: () => void;

  constructor(zone: MeshZone, options: ResolverOptions) {
    this.#zone = zone;
    this.#options = options;
    const domain = zone.domainLabels;
    for (const soaName of [options.nsName, options.hostmaster]) {
      const soaLabels = soaName.split('.').filter((label) => label !== '');
      for (let i = 0; i < soaLabels.length - domain.length; i++)
        this.#soaSuffixes.add(wireKey(soaLabels.slice(i)));
      const before = soaLabels.length - domain.length - 1;
      if (before >= 0 && wireKey(soaLabels.slice(before + 1)) === wireKey(domain))
        this.#soaLabels.push(Buffer.from(wireKey(soaLabels.slice(before, before + 1)), 'latin1'));
    }
    this.#domainWire = Buffer.from(wireKey(domain), 'latin1');
    const { refused, nxdomain } = this.#negatives();
    const unnamed = [...(refused === undefined ? [] : [refused]), ...nxdomain.values()];
    this.#store = new WireStore<WireAnswer>(() => this.#storable(), undefined, unnamed);
    const at = new Map(unnamed.map((answer, i) => [answer, this.#store.unnamedAt[i] ?? NONE]));
    this.#refused = refused === undefined ? NONE : (at.get(refused) ?? NONE);
    for (const [length, answer] of nxdomain) this.#nxdomain[length] = at.get(answer) ?? NONE;
    this.#setFixed(wireKey(domain), this.#build(domain));
    const nsLabels = options.nsName.split('.').filter((label) => label !== '');
    const nsInZone =
      nsLabels.length > domain.length &&
      wireKey(nsLabels.slice(nsLabels.length - domain.length)) === wireKey(domain);
    if (nsInZone) this.#setFixed(wireKey(nsLabels), this.#build(nsLabels.map((l) => l.toLowerCase())));
    for (const entry of zone.entries()) this.#service(entry.record.namespace, entry.record.name);
    this.#unsubscribe = zone.onChange((namespace, name) => this.#service(namespace, name));
  }

  /** How many names have stored answers. */
  get size(): number {
    return this.#store.size;
  }

  /** Stops following the zone. */
  close(): void {
    this.#unsubscribe();
  }

  /**
   * Where the stored answer to the query in `packet`, read by `head`, sits (a number for `reply` and
   * `rcodeOf`), or -1 when it has none (use the full path). A name the store does not hold gets REFUSED
   * outside the zone and NXDOMAIN inside it.
   */
  find(packet: Buffer, head: QueryHead): number {
    const stored = this.#store.find(packet, HEADER, head.nameEnd, head.type);
    return stored >= 0 ? stored : this.#notStored(packet, head.nameEnd);
  }

  /** The rcode of a stored answer. */
  rcodeOf(answer: number): number {
    const bytes = this.#store.bytes;
    return (
      ((bytes[answer + ANSWER_RCODE_HIGH] as number) << 4) |
      ((bytes[answer + ANSWER_FLAGS + 1] as number) & 0x0f)
    );
  }

  /**
   * The answer to a name (the question's, ending at `nameEnd`) the store does not hold: REFUSED when it
   * is outside the zone, NXDOMAIN when inside, NONE when the full path must decide (see the file's head).
   * Its labels were checked by QueryHead: they run exactly to `nameEnd`.
   */
  #notStored(packet: Buffer, nameEnd: number): number {
    const domain = this.#domainWire;
    const apex = nameEnd - domain.length;
    let before = NONE;
    let at = HEADER;
    while (at < apex) {
      before = at;
      at += (packet[at] as number) + 1;
    }
    if (at !== apex || !sameFolded(packet, apex, nameEnd, domain)) return this.#refused;
    // The apex itself is always stored; a name that exists but is not stored is answered in full.
    if (before === NONE || this.#unstored.size > 0) return NONE;
    for (const label of this.#soaLabels) if (sameFolded(packet, before, apex, label)) return NONE;
    return this.#nxdomain[nameEnd - HEADER + 1] ?? NONE;
  }

  /**
   * REFUSED and every NXDOMAIN, from the resolver itself: asked of the root (outside any zone) and of
   * names of each length made of `*` labels, which no namespace or Service can have. NXDOMAIN by the
   * name's wire length.
   */
  #negatives(): { refused: WireAnswer | undefined; nxdomain: Map<number, WireAnswer> } {
    const refused = this.#answer([], RRType.A);
    const nxdomain = new Map<number, WireAnswer>();
    const domain = this.#zone.domainLabels;
    for (let length = wireLength(domain) + 2; length <= MAX_NAME; length++) {
      const answer = this.#answer([...filler(length - wireLength(domain)), ...domain], RRType.A);
      if (answer.rcode === Rcode.NXDOMAIN) nxdomain.set(length, answer);
    }
    return { refused: refused.rcode === Rcode.REFUSED ? refused : undefined, nxdomain };
  }

  /**
   * The reply to the query in `packet` (read by `head`) from a stored answer: within the UDP size the query
   * allows, else truncated (TC, no records) as the full path does. With `lengthPrefix` (TCP) the reply
   * starts with its length as two bytes (RFC 7766), so it goes out as one write.
   */
  reply(
    packet: Buffer,
    head: QueryHead,
    answer: number,
    transport: 'udp' | 'tcp',
    lengthPrefix = false,
  ): Buffer {
    const bytes = this.#store.bytes;
    const serials = bytes[answer + ANSWER_SERIALS] as number;
    const recordsLength =
      ((bytes[answer + ANSWER_RECORDS_LENGTH] as number) << 8) |
      (bytes[answer + ANSWER_RECORDS_LENGTH + 1] as number);
    const records = answer + ANSWER_SERIAL_OFFSETS + serials * 2;
    const questionEnd = head.questionEnd;
    const opt = head.hasEdns ? OPT_LENGTH : 0;
    const limit =
      transport === 'tcp'
        ? TCP_LIMIT
        : head.hasEdns
          ? Math.max(CLASSIC_UDP_LIMIT, Math.min(head.udpPayloadSize, this.#options.maxUdpPayload))
          : CLASSIC_UDP_LIMIT;
    const whole = questionEnd + recordsLength + opt;
    const truncated = whole > limit;
    const size = truncated ? questionEnd + opt : whole;
    const base = lengthPrefix ? 2 : 0;
    const out = Buffer.allocUnsafe(base + size);
    if (lengthPrefix) {
      out[0] = size >>> 8;
      out[1] = size & 0xff;
    }
    // The query's ID, the stored flags with the query's RD (and TC when cut), the counts.
    out[base] = packet[0] as number;
    out[base + 1] = packet[1] as number;
    out[base + 2] =
      (bytes[answer + ANSWER_FLAGS] as number) | (truncated ? 0x02 : 0) | (head.recursionDesired ? 0x01 : 0);
    out[base + 3] = bytes[answer + ANSWER_FLAGS + 1] as number;
    out[base + 4] = 0;
    out[base + 5] = 1;
    if (truncated) for (let i = 6; i < 10; i++) out[base + i] = 0;
    else for (let i = 6; i < 12; i++) out[base + i] = bytes[answer + ANSWER_COUNTS + i - 6] as number;
    if (truncated || opt !== 0) {
      const additionals =
        (truncated
          ? 0
          : ((bytes[answer + ANSWER_COUNTS + 4] as number) << 8) |
            (bytes[answer + ANSWER_COUNTS + 5] as number)) + (opt === 0 ? 0 : 1);
      out[base + 10] = additionals >>> 8;
      out[base + 11] = additionals & 0xff;
    }
    // The question as the query sent it, the case of the name included.
    for (let i = HEADER; i < questionEnd; i++) out[base + i] = packet[i] as number;
    let at = base + questionEnd;
    if (!truncated) {
      for (let i = 0; i < recordsLength; i++) out[at + i] = bytes[records + i] as number;
      if (serials > 0) {
        const serial = this.#zone.serial >>> 0;
        for (let i = 0; i < serials; i++) {
          const offset =
            ((bytes[answer + ANSWER_SERIAL_OFFSETS + i * 2] as number) << 8) |
            (bytes[answer + ANSWER_SERIAL_OFFSETS + i * 2 + 1] as number);
          out.writeUInt32BE(serial, at + offset);
        }
      }
      at += recordsLength;
    }
    if (opt !== 0) {
      const payload = this.#options.maxUdpPayload;
      out[at] = 0;
      out[at + 1] = RRType.OPT >>> 8;
      out[at + 2] = RRType.OPT & 0xff;
      out[at + 3] = payload >>> 8;
      out[at + 4] = payload & 0xff;
      out[at + 5] = bytes[answer + ANSWER_RCODE_HIGH] as number;
      out[at + 6] = 0;
      out[at + 7] = head.dnssecOk ? 0x80 : 0;
      out[at + 8] = 0;
      out[at + 9] = 0;
      out[at + 10] = 0;
    }
    return out;
  }

  /** Rebuilds what one Service owns (it was added, replaced or removed) and its namespace's name. */
  #service(namespace: string, name: string): void {
    const id = `${namespace}/${name}`;
    for (const key of this.#owned.get(id) ?? []) this.#deleteName(key);
    this.#owned.delete(id);
    const domain = this.#zone.domainLabels;
    const namespaceName = [namespace, ...domain];
    const namespaceKey = wireKey(namespaceName);
    if (!this.#zone.hasNamespace(namespace)) this.#deleteName(namespaceKey);
    else if (!this.#hasName(namespaceKey)) this.#setName(namespaceKey, this.#build(namespaceName, []));
    const entry = this.#zone.get(namespace, name);
    if (entry === undefined) return;
    const keys: string[] = [];
    for (const { labels, types } of ownedNames(entry, domain)) {
      const key = wireKey(labels);
      this.#setName(key, this.#build(labels, types));
      keys.push(key);
    }
    this.#owned.set(id, keys);
  }

  #setFixed(key: string, answers: NameAnswers): void {
    this.#fixed.add(key);
    this.#keep(key, answers);
  }

  /** A Service's name; the apex and the name server's name keep their own answers. */
  #setName(key: string, answers: NameAnswers): void {
    if (this.#fixed.has(key)) return;
    this.#keep(key, answers);
  }

  #keep(key: string, answers: NameAnswers): void {
    this.#names.set(key, answers);
    if (this.#store.set(wireName(key), answers)) this.#unstored.delete(key);
    else this.#unstored.add(key);
  }

  #deleteName(key: string): void {
    if (this.#fixed.has(key) || !this.#names.delete(key)) return;
    this.#unstored.delete(key);
    this.#store.delete(wireName(key));
  }

  #hasName(key: string): boolean {
    return this.#names.has(key);
  }

  *#storable(): Iterable<readonly [Buffer, NameAnswers]> {
    for (const [key, answers] of this.#names) yield [wireName(key), answers];
  }

  /**
   * The answers of one name that exists: `types` are those that may have records there (the others are
   * NODATA, the same bytes for every name with its apex at the same place, built once).
   */
  #build(labels: readonly string[], types: readonly number[] = ALL_TYPES): NameAnswers {
    const otherwise = this.#nodata(labels);
    const built = new Map<number, WireAnswer>();
    for (const type of types) {
      const answer = this.#answer(labels, type);
      const same = [otherwise, ...built.values()].find((other) => sameAnswer(other, answer));
      built.set(type, same ?? answer);
    }
    const of = (type: number) => built.get(type) ?? otherwise;
    return {
      a: of(RRType.A),
      aaaa: of(RRType.AAAA),
      any: of(RRType.ANY),
      srv: of(RRType.SRV),
      soa: of(RRType.SOA),
      ns: of(RRType.NS),
      otherwise,
    };
  }

  /**
   * The NODATA answer of an existing name. Its SOA names the apex and the SOA's own names by pointers into
   * the question: for a name that shares no more than the apex with those names, the bytes depend only on
   * where the apex sits, so one copy per name length serves them all.
   */
  #nodata(labels: readonly string[]): WireAnswer {
    const domain = this.#zone.domainLabels.length;
    let shares = false;
    for (let i = 0; i < labels.length - domain && !shares; i++)
      shares = this.#soaSuffixes.has(wireKey(labels.slice(i)));
    if (shares) return this.#answer(labels, OTHER_TYPE);
    const length = wireLength(labels);
    let answer = this.#nodataByLength.get(length);
    if (answer === undefined) {
      answer = this.#answer(labels, OTHER_TYPE);
      this.#nodataByLength.set(length, answer);
    }
    return answer;
  }

  #answer(labels: readonly string[], type: number): WireAnswer {
    const query: Query = {
      id: 0,
      opcode: 0,
      recursionDesired: false,
      questions: [{ labels, type, class: 1 }],
      edns: undefined,
    };
    const response = resolve(query, this.#zone, this.#options);
    const { bytes, serialOffsets } = encodeWithSerials(response);
    const start = 12 + wireLength(labels) + 4;
    return {
      rcode: response.rcode,
      authoritative: response.authoritative,
      flags: 0x8000 | (response.authoritative ? 0x0400 : 0) | (response.rcode & 0x0f),
      answers: bytes.readUInt16BE(6),
      authorities: bytes.readUInt16BE(8),
      additionals: bytes.readUInt16BE(10),
      records: Buffer.from(bytes.subarray(start)),
      serialOffsets: serialOffsets.map((offset) => offset - start),
    };
  }
}

/** Whether `packet[start, end)` is `lower` with ASCII letters folded to lower case. */
function sameFolded(packet: Buffer, start: number, end: number, lower: Buffer): boolean {
  if (end - start !== lower.length) return false;
  for (let i = 0; i < lower.length; i++) {
    const byte = packet[start + i] as number;
    if ((byte >= 65 && byte <= 90 ? byte | 0x20 : byte) !== lower[i]) return false;
  }
  return true;
}

/** Labels of `*` taking `length` (at least 2) bytes on the wire. */
function filler(length: number): string[] {
  const labels: string[] = [];
  let left = length;
  while (left > 0) {
    // A label takes its length + 1 bytes (at most 64); never leave a single byte behind.
    let size = Math.min(63, left - 1);
    if (left - (size + 1) === 1) size--;
    labels.push('*'.repeat(size));
    left -= size + 1;
  }
  return labels;
}

/** Bytes of a name on the wire, root label included. */
function wireLength(labels: readonly string[]): number {
  return labels.reduce((sum, label) => sum + label.length + 1, 1);
}

/**
 * The names a Service makes exist, and the types that may have records there: `<svc>.<ns>` (addresses),
 * `_tcp`/`_udp` under it (no records), and one name per named port (SRV).
 */
function ownedNames(
  entry: MeshServiceEntry,
  domain: readonly string[],
): { labels: string[]; types: readonly number[] }[] {
  const { namespace, name, ports } = entry.record;
  const base = [name, namespace, ...domain];
  const names: { labels: string[]; types: readonly number[] }[] = [{ labels: base, types: ADDRESS_TYPES }];
  for (const protocol of ['TCP', 'UDP'] as const) {
    const named = ports.filter((port) => port.name !== '' && port.protocol === protocol);
    if (named.length === 0) continue;
    const label = protocol === 'TCP' ? '_tcp' : '_udp';
    names.push({ labels: [label, ...base], types: [] });
    for (const port of named) names.push({ labels: [`_${port.name}`, label, ...base], types: SRV_TYPES });
  }
  return names;
}

function sameAnswer(a: WireAnswer, b: WireAnswer): boolean {
  return (
    a.rcode === b.rcode &&
    a.authoritative === b.authoritative &&
    a.answers === b.answers &&
    a.authorities === b.authorities &&
    a.additionals === b.additionals &&
    a.records.equals(b.records) &&
    a.serialOffsets.join() === b.serialOffsets.join()
  );
}
