/**
 * Writes a response to bytes, with name compression (RFC 1035 4.1.4) so that answers naming the same
 * Service many times stay small. Input comes from the resolver, never from the network, but label bytes
 * echoed from a question are copied as they were read (latin1 both ways).
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
  private readonly chunks: Buffer[] = [];
  private size = 0;
  /** Lower-cased name suffix → offset of its first occurrence, for compression pointers. */
  private readonly names = new Map<string, number>();

  get length(): number {
    return this.size;
  }

  bytes(data: Buffer): void {
    this.chunks.push(data);
    this.size += data.length;
  }

  u8(value: number): void {
    this.bytes(Buffer.of(value & 0xff));
  }

  u16(value: number): void {
    const data = Buffer.alloc(2);
    data.writeUInt16BE(value & 0xffff);
    this.bytes(data);
  }

  u32(value: number): void {
    const data = Buffer.alloc(4);
    data.writeUInt32BE(value >>> 0);
    this.bytes(data);
  }

  name(labels: readonly string[]): void {
    for (let i = 0; i < labels.length; i++) {
      const key = JSON.stringify(labels.slice(i).map(lowerLabel));
      const earlier = this.names.get(key);
      if (earlier !== undefined) {
        this.u16(0xc000 | earlier);
        return;
      }
      if (this.size < 0x4000) this.names.set(key, this.size);
      const label = Buffer.from(labels[i] ?? '', 'latin1');
      this.u8(label.length);
      this.bytes(label);
    }
    this.u8(0);
  }

  /** Reserves a 16-bit length, runs `body`, then fills the length in. */
  sized(body: () => void): void {
    const slot = Buffer.alloc(2);
    this.bytes(slot);
    const start = this.size;
    body();
    slot.writeUInt16BE(this.size - start);
  }

  toBuffer(): Buffer {
    return Buffer.concat(this.chunks, this.size);
  }
}

function ipv4Bytes(address: string): Buffer {
  return Buffer.from(address.split('.').map((part) => Number.parseInt(part, 10)));
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
  writer.sized(() => {
    switch (data.type) {
      case RRType.A:
        writer.bytes(ipv4Bytes(data.address));
        return;
      case RRType.AAAA:
        writer.bytes(ipv6Bytes(data.address));
        return;
      case RRType.NS:
        writer.name(data.host);
        return;
      case RRType.SOA:
        writer.name(data.primary);
        writer.name(data.admin);
        for (const value of [data.serial, data.refresh, data.retry, data.expire, data.minimum])
          writer.u32(value);
        return;
      case RRType.SRV:
        writer.u16(data.priority);
        writer.u16(data.weight);
        writer.u16(data.port);
        // RFC 2782 forbids compressing the target, so it is written out in full.
        for (const label of data.target) {
          const bytes = Buffer.from(label, 'latin1');
          writer.u8(bytes.length);
          writer.bytes(bytes);
        }
        writer.u8(0);
        return;
    }
  });
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

/** Encodes a response; rcodes above 15 need `edns` to be set (the caller guarantees it). */
export function encodeResponse(response: Response): Buffer {
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
  return writer.toBuffer();
}
