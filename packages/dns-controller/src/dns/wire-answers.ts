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
 * offset). Names that do not exist (NXDOMAIN), zone transfers and unusual queries take the full path; the
 * property test in wire-answers.test.ts holds both paths to the same bytes.
 */
import { type ResolverOptions, resolve } from './answer.js';
import { encodeWithSerials } from './encode.js';
import { CLASSIC_UDP_LIMIT, type Query, RRType } from './message.js';
import type { QueryHead } from './query-head.js';
import type { MeshServiceEntry, MeshZone } from './zone.js';

/** One stored answer: the flags and counts of its header, and its records as bytes. */
export interface WireAnswer {
  readonly rcode: number;
  readonly authoritative: boolean;
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

/** The lower-cased wire form of a name (without the root), as QueryHead computes it from a query. */
export function wireKey(labels: readonly string[]): string {
  let key = '';
  for (const label of labels) key += String.fromCharCode(label.length) + label.toLowerCase();
  return key;
}

export class WireAnswers {
  readonly #zone: MeshZone;
  readonly #options: ResolverOptions;
  /** The apex and the name server's name: looked up first, as the resolver checks them first. */
  readonly #fixed = new Map<string, NameAnswers>();
  readonly #names = new Map<string, NameAnswers>();
  /** `<namespace>/<name>` → the keys of the names that Service owns. */
  readonly #owned = new Map<string, readonly string[]>();
  /** NODATA answers by the wire length of the name: they differ only in where the apex sits. */
  readonly #nodataByLength = new Map<number, WireAnswer>();
  /** Suffixes of the SOA's names (name server, hostmaster) longer than the domain. */
  readonly #soaSuffixes = new Set<string>();
  readonly #unsubscribe: () => void;

  constructor(zone: MeshZone, options: ResolverOptions) {
    this.#zone = zone;
    this.#options = options;
    const domain = zone.domainLabels;
    for (const soaName of [options.nsName, options.hostmaster]) {
      const soaLabels = soaName.split('.').filter((label) => label !== '');
      for (let i = 0; i < soaLabels.length - domain.length; i++)
        this.#soaSuffixes.add(wireKey(soaLabels.slice(i)));
    }
    this.#fixed.set(wireKey(domain), this.#build(domain));
    const nsLabels = options.nsName.split('.').filter((label) => label !== '');
    const nsInZone =
      nsLabels.length > domain.length &&
      wireKey(nsLabels.slice(nsLabels.length - domain.length)) === wireKey(domain);
    if (nsInZone) this.#fixed.set(wireKey(nsLabels), this.#build(nsLabels.map((l) => l.toLowerCase())));
    for (const entry of zone.entries()) this.#service(entry.record.namespace, entry.record.name);
    this.#unsubscribe = zone.onChange((namespace, name) => this.#service(namespace, name));
  }

  /** How many names have stored answers. */
  get size(): number {
    return this.#fixed.size + this.#names.size;
  }

  /** Stops following the zone. */
  close(): void {
    this.#unsubscribe();
  }

  /** The stored answer to a query read by `head`, or undefined when it has none (use the full path). */
  find(head: QueryHead): WireAnswer | undefined {
    const name = this.#fixed.get(head.key) ?? this.#names.get(head.key);
    if (name === undefined) return undefined;
    switch (head.type) {
      case RRType.A:
        return name.a;
      case RRType.AAAA:
        return name.aaaa;
      case RRType.ANY:
        return name.any;
      case RRType.SRV:
        return name.srv;
      case RRType.SOA:
        return name.soa;
      case RRType.NS:
        return name.ns;
      default:
        return name.otherwise;
    }
  }

  /**
   * The reply to the query in `packet` (read by `head`) from a stored answer: within the UDP size the query
   * allows, else truncated (TC, no records) as the full path does.
   */
  reply(packet: Buffer, head: QueryHead, answer: WireAnswer, transport: 'udp' | 'tcp'): Buffer {
    const opt = head.hasEdns ? OPT_LENGTH : 0;
    const limit =
      transport === 'tcp'
        ? TCP_LIMIT
        : head.hasEdns
          ? Math.max(CLASSIC_UDP_LIMIT, Math.min(head.udpPayloadSize, this.#options.maxUdpPayload))
          : CLASSIC_UDP_LIMIT;
    const whole = head.questionEnd + answer.records.length + opt;
    const truncated = whole > limit;
    const size = truncated ? head.questionEnd + opt : whole;
    const out = Buffer.allocUnsafe(size);
    out.writeUInt16BE(head.id, 0);
    out.writeUInt16BE(
      0x8000 |
        (answer.authoritative ? 0x0400 : 0) |
        (truncated ? 0x0200 : 0) |
        (head.recursionDesired ? 0x0100 : 0) |
        (answer.rcode & 0x0f),
      2,
    );
    out.writeUInt16BE(1, 4);
    out.writeUInt16BE(truncated ? 0 : answer.answers, 6);
    out.writeUInt16BE(truncated ? 0 : answer.authorities, 8);
    out.writeUInt16BE((truncated ? 0 : answer.additionals) + (opt === 0 ? 0 : 1), 10);
    packet.copy(out, 12, 12, head.questionEnd);
    let at = head.questionEnd;
    if (!truncated) {
      answer.records.copy(out, at);
      for (const offset of answer.serialOffsets) out.writeUInt32BE(this.#zone.serial >>> 0, at + offset);
      at += answer.records.length;
    }
    if (opt !== 0) {
      out[at] = 0;
      out.writeUInt16BE(RRType.OPT, at + 1);
      out.writeUInt16BE(this.#options.maxUdpPayload, at + 3);
      out[at + 5] = answer.rcode >>> 4;
      out[at + 6] = 0;
      out.writeUInt16BE(head.dnssecOk ? 0x8000 : 0, at + 7);
      out.writeUInt16BE(0, at + 9);
    }
    return out;
  }

  /** Rebuilds what one Service owns (it was added, replaced or removed) and its namespace's name. */
  #service(namespace: string, name: string): void {
    const id = `${namespace}/${name}`;
    for (const key of this.#owned.get(id) ?? []) this.#names.delete(key);
    this.#owned.delete(id);
    const domain = this.#zone.domainLabels;
    const namespaceName = [namespace, ...domain];
    const namespaceKey = wireKey(namespaceName);
    if (!this.#zone.hasNamespace(namespace)) this.#names.delete(namespaceKey);
    else if (!this.#names.has(namespaceKey)) this.#names.set(namespaceKey, this.#build(namespaceName, []));
    const entry = this.#zone.get(namespace, name);
    if (entry === undefined) return;
    const keys: string[] = [];
    for (const { labels, types } of ownedNames(entry, domain)) {
      const key = wireKey(labels);
      this.#names.set(key, this.#build(labels, types));
      keys.push(key);
    }
    this.#owned.set(id, keys);
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
      answers: bytes.readUInt16BE(6),
      authorities: bytes.readUInt16BE(8),
      additionals: bytes.readUInt16BE(10),
      records: Buffer.from(bytes.subarray(start)),
      serialOffsets: serialOffsets.map((offset) => offset - start),
    };
  }
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
