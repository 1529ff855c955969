/**
 * Reads the common shape of a query straight from its bytes, without decoding it into objects: a standard
 * query with one uncompressed question of class IN (or ANY), no answer or authority records, and at most an
 * EDNS0 OPT record of version 0. Anything else (or anything odd) is left to the full decoder, which
 * answers it exactly as before: this reader only has to recognise what it can answer from stored bytes.
 * Every read is bounds-checked; nothing here throws. Nothing is allocated either: the name stays in the
 * packet, where the stored answers are looked up by its bytes (wire-store.ts).
 */
import { RRType } from './message.js';

const HEADER = 12;
const MAX_NAME = 255;
const CLASS_IN = 1;
const CLASS_ANY = 255;
const AXFR = 252;
const IXFR = 251;

/** One query's head, read in place; reused from query to query (the server answers one at a time). */
export class QueryHead {
  id = 0;
  recursionDesired = false;
  /** Offset just after the question (name, type, class): the bytes a reply copies. */
  questionEnd = 0;
  type = 0;
  /** Offset of the question name's root label: the name's wire form is `packet[12, nameEnd)`. */
  nameEnd = 0;
  hasEdns = false;
  udpPayloadSize = 0;
  dnssecOk = false;

  /** Reads `packet`; false when it is not the common shape (then decode it in full). */
  read(packet: Buffer): boolean {
    const length = packet.length;
    if (length < HEADER + 5) return false;
    const flags = u16(packet, 2);
    // A response, or an opcode other than QUERY.
    if ((flags & 0xf800) !== 0) return false;
    if (u16(packet, 4) !== 1 || u16(packet, 6) !== 0 || u16(packet, 8) !== 0) return false;
    const additional = u16(packet, 10);
    if (additional > 1) return false;
    let at = HEADER;
    for (;;) {
      const label = packet[at];
      if (label === undefined || label > 63) return false;
      if (label === 0) break;
      at += label + 1;
      if (at - HEADER + 1 > MAX_NAME) return false;
    }
    // `at` is the root label's offset.
    if (at + 5 > length) return false;
    const type = u16(packet, at + 1);
    const klass = u16(packet, at + 3);
    if (type === RRType.OPT || type === AXFR || type === IXFR) return false;
    if (klass !== CLASS_IN && klass !== CLASS_ANY) return false;
    const questionEnd = at + 5;
    this.hasEdns = additional === 1;
    if (this.hasEdns) {
      // OPT: root name, type 41, class = payload size, TTL = extended rcode, version, flags; then its data.
      if (questionEnd + 11 > length || packet[questionEnd] !== 0) return false;
      if (u16(packet, questionEnd + 1) !== RRType.OPT) return false;
      if (packet[questionEnd + 6] !== 0) return false; // EDNS version 0 only (else BADVERS, in full)
      const dataLength = u16(packet, questionEnd + 9);
      if (questionEnd + 11 + dataLength !== length) return false;
      this.udpPayloadSize = u16(packet, questionEnd + 3);
      this.dnssecOk = (packet[questionEnd + 7] ?? 0) >= 0x80;
    } else if (questionEnd !== length) {
      return false;
    }
    this.id = u16(packet, 0);
    this.recursionDesired = (flags & 0x0100) !== 0;
    this.questionEnd = questionEnd;
    this.type = type;
    this.nameEnd = at;
    return true;
  }
}

/** The big-endian 16-bit number at `at`; callers check the bounds first. */
function u16(packet: Buffer, at: number): number {
  return ((packet[at] as number) << 8) | (packet[at + 1] as number);
}
