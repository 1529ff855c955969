/** Builds a query message: for health checks, tests and tools that ask the mesh server something. */
import { encodeResponse } from './encode.js';
import { type Edns, RRType } from './message.js';

export interface QueryOptions {
  readonly id?: number;
  readonly recursionDesired?: boolean;
  /** Adds an OPT record with these values. */
  readonly edns?: Edns;
  readonly opcode?: number;
}

/** Encodes a one-question query for `name` (dotted) and a record type number. */
export function encodeQuery(name: string, type: number = RRType.A, options: QueryOptions = {}): Buffer {
  const bytes = encodeResponse({
    id: options.id ?? 0x1234,
    opcode: options.opcode ?? 0,
    authoritative: false,
    truncated: false,
    recursionDesired: options.recursionDesired ?? true,
    rcode: 0,
    questions: [{ labels: name.split('.').filter((label) => label !== ''), type, class: 1 }],
    answers: [],
    authorities: [],
    additionals: [],
    edns: options.edns,
  });
  // encodeResponse writes a response; a query has the QR bit clear.
  bytes.writeUInt8((bytes.readUInt8(2) ?? 0) & 0x7f, 2);
  return bytes;
}
