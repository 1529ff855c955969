/**
 * Reads a DNS query from bytes that came off the network. Written for hostile input: every read is
 * bounds-checked, compression pointers may only point backwards (so they cannot loop), names are capped at
 * 255 bytes, and nothing here throws. dns2's parser is not used on this path; see README ("Why not
 * dns2's parser") for the failing cases.
 */
import { type Edns, OPCODE_QUERY, type Query, type Question, RRType } from './message.js';

export type DecodeResult =
  | { readonly kind: 'query'; readonly query: Query }
  /** The header could be read, so the sender can be told FORMERR. */
  | {
      readonly kind: 'formerr';
      readonly id: number;
      readonly opcode: number;
      readonly recursionDesired: boolean;
      readonly reason: string;
    }
  /** Not even a header, or a response (answering responses invites loops): say nothing. */
  | { readonly kind: 'drop'; readonly reason: string };

const HEADER_LENGTH = 12;
const MAX_NAME_LENGTH = 255;
const MAX_POINTER_HOPS = 64;

class DecodeError extends Error {}

interface Cursor {
  offset: number;
}

function u16(bytes: Buffer, cursor: Cursor): number {
  if (cursor.offset + 2 > bytes.length)
    throw new DecodeError(`message ends inside a field at byte ${cursor.offset}`);
  const value = bytes.readUInt16BE(cursor.offset);
  cursor.offset += 2;
  return value;
}

function u32(bytes: Buffer, cursor: Cursor): number {
  if (cursor.offset + 4 > bytes.length)
    throw new DecodeError(`message ends inside a field at byte ${cursor.offset}`);
  const value = bytes.readUInt32BE(cursor.offset);
  cursor.offset += 4;
  return value;
}

/** Reads a possibly compressed name; the cursor ends after the name's first occurrence. */
export function readName(bytes: Buffer, cursor: Cursor): string[] {
  const labels: string[] = [];
  let position = cursor.offset;
  let resumeAt: number | undefined;
  let wireLength = 1;
  let hops = 0;
  for (;;) {
    const length = bytes[position];
    if (length === undefined)
      throw new DecodeError(`name runs past the end of the message at byte ${position}`);
    if (length === 0) {
      position += 1;
      break;
    }
    const kind = length & 0xc0;
    if (kind === 0xc0) {
      const low = bytes[position + 1];
      if (low === undefined) throw new DecodeError(`compression pointer cut short at byte ${position}`);
      const target = ((length & 0x3f) << 8) | low;
      // Only strictly backwards pointers: a loop would need a forward one.
      if (target >= position)
        throw new DecodeError(`compression pointer at byte ${position} does not point back`);
      if (++hops > MAX_POINTER_HOPS) throw new DecodeError('too many compression pointers in one name');
      if (resumeAt === undefined) resumeAt = position + 2;
      position = target;
      continue;
    }
    if (kind !== 0)
      throw new DecodeError(`unsupported label type 0x${kind.toString(16)} at byte ${position}`);
    const end = position + 1 + length;
    if (end > bytes.length)
      throw new DecodeError(`label runs past the end of the message at byte ${position}`);
    wireLength += length + 1;
    if (wireLength > MAX_NAME_LENGTH) throw new DecodeError(`name longer than ${MAX_NAME_LENGTH} bytes`);
    labels.push(bytes.toString('latin1', position + 1, end));
    position = end;
  }
  cursor.offset = resumeAt ?? position;
  return labels;
}

function readQuestion(bytes: Buffer, cursor: Cursor): Question {
  const labels = readName(bytes, cursor);
  return { labels, type: u16(bytes, cursor), class: u16(bytes, cursor) };
}

/** Reads one resource record; returns the EDNS data if it is an OPT record, skips anything else. */
function readRecord(bytes: Buffer, cursor: Cursor): Edns | undefined {
  const labels = readName(bytes, cursor);
  const type = u16(bytes, cursor);
  const klass = u16(bytes, cursor);
  const ttl = u32(bytes, cursor);
  const length = u16(bytes, cursor);
  if (cursor.offset + length > bytes.length)
    throw new DecodeError('record data runs past the end of the message');
  cursor.offset += length;
  if (type !== RRType.OPT) return undefined;
  if (labels.length !== 0) throw new DecodeError('OPT record with a name other than the root');
  // Options (cookies, ECS, padding) are accepted and ignored: the zone's answers do not depend on them.
  return { udpPayloadSize: klass, version: (ttl >>> 16) & 0xff, dnssecOk: (ttl & 0x8000) !== 0 };
}

/** Decodes a query. Never throws. */
export function decodeQuery(bytes: Buffer): DecodeResult {
  if (bytes.length < HEADER_LENGTH)
    return { kind: 'drop', reason: `${bytes.length} bytes is shorter than a header` };
  const id = bytes.readUInt16BE(0);
  const flags = bytes.readUInt16BE(2);
  if ((flags & 0x8000) !== 0) return { kind: 'drop', reason: 'message is a response, not a query' };
  const opcode = (flags >>> 11) & 0x0f;
  const recursionDesired = (flags & 0x0100) !== 0;
  const formerr = (reason: string): DecodeResult => ({
    kind: 'formerr',
    id,
    opcode,
    recursionDesired,
    reason,
  });
  if (opcode !== OPCODE_QUERY) {
    // The body of an unknown opcode is not ours to judge; the answer is NOTIMP.
    return { kind: 'query', query: { id, opcode, recursionDesired, questions: [], edns: undefined } };
  }
  const qdcount = bytes.readUInt16BE(4);
  const ancount = bytes.readUInt16BE(6);
  const nscount = bytes.readUInt16BE(8);
  const arcount = bytes.readUInt16BE(10);
  if (qdcount !== 1) return formerr(`a query must ask exactly one question, this one asks ${qdcount}`);
  try {
    const cursor: Cursor = { offset: HEADER_LENGTH };
    const question = readQuestion(bytes, cursor);
    let edns: Edns | undefined;
    for (let i = 0; i < ancount + nscount; i++) readRecord(bytes, cursor);
    for (let i = 0; i < arcount; i++) {
      const found = readRecord(bytes, cursor);
      if (found === undefined) continue;
      if (edns !== undefined) return formerr('more than one OPT record');
      edns = found;
    }
    if (cursor.offset !== bytes.length)
      return formerr(`${bytes.length - cursor.offset} bytes after the last record`);
    return { kind: 'query', query: { id, opcode, recursionDesired, questions: [question], edns } };
  } catch (error) {
    if (error instanceof DecodeError) return formerr(error.message);
    return formerr(String(error));
  }
}
