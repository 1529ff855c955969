/**
 * The DNS message as the mesh server sees it: only what an authoritative answer for the mesh zone needs.
 * Names are kept as label lists (not dotted strings) so a label holding a dot or odd bytes is echoed back
 * exactly as it was asked.
 */

/** Record types the server knows by name (RFC 1035, 3596, 2782, 6891). */
export const RRType = { A: 1, NS: 2, SOA: 6, AAAA: 28, SRV: 33, OPT: 41, ANY: 255 } as const;

/** Response codes; BADVERS (16) only fits through the OPT record's extended-rcode bits. */
export const Rcode = {
  NOERROR: 0,
  FORMERR: 1,
  SERVFAIL: 2,
  NXDOMAIN: 3,
  NOTIMP: 4,
  REFUSED: 5,
  BADVERS: 16,
} as const;

export const OPCODE_QUERY = 0;
export const CLASS_IN = 1;

/** Plain DNS over UDP without EDNS (RFC 1035 4.2.1). */
export const CLASSIC_UDP_LIMIT = 512;

export interface Question {
  readonly labels: readonly string[];
  readonly type: number;
  readonly class: number;
}

/** The EDNS0 pseudo-record of a message (RFC 6891). */
export interface Edns {
  /** Requester's (or our) UDP payload size. */
  readonly udpPayloadSize: number;
  readonly version: number;
  /** DNSSEC OK bit, echoed as asked. */
  readonly dnssecOk: boolean;
}

export interface Query {
  readonly id: number;
  readonly opcode: number;
  readonly recursionDesired: boolean;
  readonly questions: readonly Question[];
  /** Undefined when the query had no OPT record. */
  readonly edns: Edns | undefined;
}

export type RecordData =
  | { readonly type: typeof RRType.A; readonly address: string }
  | { readonly type: typeof RRType.AAAA; readonly address: string }
  | { readonly type: typeof RRType.NS; readonly host: readonly string[] }
  | {
      readonly type: typeof RRType.SOA;
      readonly primary: readonly string[];
      readonly admin: readonly string[];
      readonly serial: number;
      readonly refresh: number;
      readonly retry: number;
      readonly expire: number;
      readonly minimum: number;
    }
  | {
      readonly type: typeof RRType.SRV;
      readonly priority: number;
      readonly weight: number;
      readonly port: number;
      readonly target: readonly string[];
    };

export interface ResourceRecord {
  readonly labels: readonly string[];
  readonly ttl: number;
  readonly data: RecordData;
}

export interface Response {
  readonly id: number;
  readonly opcode: number;
  readonly authoritative: boolean;
  readonly truncated: boolean;
  readonly recursionDesired: boolean;
  /** Full rcode; values above 15 are split between the header and the OPT record. */
  readonly rcode: number;
  readonly questions: readonly Question[];
  readonly answers: readonly ResourceRecord[];
  readonly authorities: readonly ResourceRecord[];
  readonly additionals: readonly ResourceRecord[];
  /** Our OPT record, present when the query carried one. */
  readonly edns: Edns | undefined;
}

/** Names compare case-insensitively in ASCII only (RFC 4343). */
export function lowerLabel(label: string): string {
  for (let i = 0; i < label.length; i++) {
    const c = label.charCodeAt(i);
    if (c >= 65 && c <= 90) return label.replace(/[A-Z]/g, (upper) => upper.toLowerCase());
  }
  return label;
}

const RCODE_NAMES = new Map<number, string>(Object.entries(Rcode).map(([name, value]) => [value, name]));
const TYPE_NAMES = new Map<number, string>(Object.entries(RRType).map(([name, value]) => [value, name]));

export function rcodeName(rcode: number): string {
  return RCODE_NAMES.get(rcode) ?? `RCODE${rcode}`;
}

export function typeName(type: number): string {
  return TYPE_NAMES.get(type) ?? `TYPE${type}`;
}
