/**
 * Writes a response to bytes, with name compression (RFC 1035 4.1.4) so that answers naming the same
 * Service many times stay small. Input comes from the resolver, never from the network, but label bytes
 * echoed from a question are copied as they were read (latin1 both ways).
 *
 * One growing buffer per message: integers are written in place, names are compared by their lower-cased
 * wire form (the suffixes of one string), and addresses arrive already parsed where the zone stored them.
 */
import {
  type Edns,
  lowerLabel,
  type RecordData,
  type ResourceRecord,
  type Response,
  RRType,
} from './message.js';

class Writer {
  private buffer = Buffer.allocUnsafe(512);
  private size = 0;
  /** Lower-cased wire form of a name suffix → offset of its first occurrence, for compression pointers. */
  private readonly names = new Map<string, number>();
  /** Where each SOA serial was written, so a stored answer can carry the zone's current serial. */
  readonly serialOffsets: number[] = [];

  get length(): number {
    return this.size;
  }

  private room(bytes: number): void {
    if (this.size + bytes <= this.buffer.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.buffer.length * 2, this.size + bytes));
    this.buffer.copy(grown, 0, 0, this.size);
    this.buffer = grown;
  }

  bytes(data: Uint8Array): void {
    this.room(data.length);
    this.buffer.set(data, this.size);
    this.size += data.length;
  }

  latin1(text: string): void {
    this.room(text.length);
    this.size += this.buffer.write(text, this.size, 'latin1');
  }

  u8(value: number): void {
    this.room(1);
    this.buffer[this.size++] = value & 0xff;
  }

  u16(value: number): void {
    this.room(2);
    this.buffer.writeUInt16BE(value & 0xffff, this.size);
    this.size += 2;
  }

  u32(value: number): void {
    this.room(4);
    this.buffer.writeUInt32BE(value >>> 0, this.size);
    this.size += 4;
  }

  /** Overwrites a 16-bit value written earlier. */
  patch16(offset: number, value: number): void {
    this.buffer.writeUInt16BE(value & 0xffff, offset);
  }

  name(labels: readonly string[]): void {
    const wire = lowerWire(labels);
    let suffix = 0;
    for (let i = 0; i < labels.length; i++) {
      const key = suffix === 0 ? wire : wire.slice(suffix);
      const earlier = this.names.get(key);
      if (earlier !== undefined) {
        this.u16(0xc000 | earlier);
        return;
      }
      if (this.size < 0x4000) this.names.set(key, this.size);
      const label = labels[i] ?? '';
      this.u8(label.length);
      this.latin1(label);
      suffix += label.length + 1;
    }
    this.u8(0);
  }

  /** A name written out in full, never compressed (an SRV target, RFC 2782). */
  plainName(labels: readonly string[]): void {
    for (const label of labels) {
      this.u8(label.length);
      this.latin1(label);
    }
    this.u8(0);
  }

  toBuffer(): Buffer {
    return Buffer.from(this.buffer.subarray(0, this.size));
  }
}

/** The wire form of a name, lower-cased, as a latin1 string (without the root label). */
function lowerWire(labels: readonly string[]): string {
  let wire = '';
  for (const label of labels) wire += String.fromCharCode(label.length) + lowerLabel(label);
  return wire;
}

/** The four bytes of a dotted IPv4 address the zone validated. */
export function ipv4Bytes(address: string): Buffer {
  const bytes = Buffer.alloc(4);
  let part = 0;
  let index = 0;
  for (let i = 0; i < address.length; i++) {
    const c = address.charCodeAt(i);
    if (c === 46) {
      bytes[index++] = part;
      part = 0;
    } else part = part * 10 + (c - 48);
  }
  bytes[index] = part;
  return bytes;
}

/** Expands `::` and an embedded IPv4 tail; the zone only stores addresses `net.isIPv6` accepted. */
export function ipv6Bytes(address: string): Buffer {
  const v4Tail = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(address);
  let text = address;
  if (v4Tail !== null) {
    const [a, b, c, d] = v4Tail.slice(1).map((part) => Number.parseInt(part, 10));
    const hex = (high = 0, low = 0): string => ((high << 8) | low).toString(16);
    text = `${address.slice(0, v4Tail.index)}${hex(a, b)}:${hex(c, d)}`;
  }
  const [head = '', rest] = text.split('::');
  const parse = (part: string): number[] =>
    part === '' ? [] : part.split(':').map((group) => Number.parseInt(group, 16));
  const front = parse(head);
  const back = rest === undefined ? [] : parse(rest);
  const zeros = rest === undefined ? 0 : Math.max(0, 8 - front.length - back.length);
  const groups = [...front, ...new Array<number>(zeros).fill(0), ...back];
  const data = Buffer.alloc(16);
  for (const [index, group] of groups.slice(0, 8).entries()) data.writeUInt16BE(group & 0xffff, index * 2);
  return data;
}

function writeData(writer: Writer, data: RecordData): void {
  const lengthAt = writer.length;
  writer.u16(0);
  switch (data.type) {
    case RRType.A:
      writer.bytes(ipv4Bytes(data.address));
      break;
    case RRType.AAAA:
      writer.bytes(ipv6Bytes(data.address));
      break;
    case RRType.NS:
      writer.name(data.host);
      break;
    case RRType.SOA:
      writer.name(data.primary);
      writer.name(data.admin);
      writer.serialOffsets.push(writer.length);
      writer.u32(data.serial);
      writer.u32(data.refresh);
      writer.u32(data.retry);
      writer.u32(data.expire);
      writer.u32(data.minimum);
      break;
    case RRType.SRV:
      writer.u16(data.priority);
      writer.u16(data.weight);
      writer.u16(data.port);
      writer.plainName(data.target);
      break;
  }
  writer.patch16(lengthAt, writer.length - lengthAt - 2);
}

function writeRecord(writer: Writer, record: ResourceRecord): void {
  writer.name(record.labels);
  writer.u16(record.data.type);
  writer.u16(1);
  writer.u32(record.ttl);
  writeData(writer, record.data);
}

function writeOpt(writer: Writer, edns: Edns, rcode: number): void {
  writer.u8(0);
  writer.u16(RRType.OPT);
  writer.u16(edns.udpPayloadSize);
  // TTL field: extended rcode (upper 8 bits of 12), version, DO bit.
  writer.u8(rcode >>> 4);
  writer.u8(edns.version);
  writer.u16(edns.dnssecOk ? 0x8000 : 0);
  writer.u16(0);
}

function write(response: Response): Writer {
  const writer = new Writer();
  writer.u16(response.id);
  const flags =
    0x8000 |
    ((response.opcode & 0x0f) << 11) |
    (response.authoritative ? 0x0400 : 0) |
    (response.truncated ? 0x0200 : 0) |
    (response.recursionDesired ? 0x0100 : 0) |
    (response.rcode & 0x0f);
  writer.u16(flags);
  writer.u16(response.questions.length);
  writer.u16(response.answers.length);
  writer.u16(response.authorities.length);
  writer.u16(response.additionals.length + (response.edns === undefined ? 0 : 1));
  for (const question of response.questions) {
    writer.name(question.labels);
    writer.u16(question.type);
    writer.u16(question.class);
  }
  for (const record of response.answers) writeRecord(writer, record);
  for (const record of response.authorities) writeRecord(writer, record);
  for (const record of response.additionals) writeRecord(writer, record);
  if (response.edns !== undefined) writeOpt(writer, response.edns, response.rcode);
  return writer;
}

/** Encodes a response; rcodes above 15 need `edns` to be set (the caller guarantees it). */
export function encodeResponse(response: Response): Buffer {
  return write(response).toBuffer();
}

/** Encodes a response and says where the SOA serials sit in it (for answers stored as bytes). */
export function encodeWithSerials(response: Response): { bytes: Buffer; serialOffsets: readonly number[] } {
  const writer = write(response);
  return { bytes: writer.toBuffer(), serialOffsets: writer.serialOffsets };
}
