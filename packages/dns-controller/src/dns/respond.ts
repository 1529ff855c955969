/**
 * Bytes in, bytes out: decode, resolve, encode, and fit the answer to the transport. Pure, so the server
 * shell only moves bytes and counts outcomes.
 */
import { type ResolverOptions, resolve } from './answer.js';
import { decodeQuery } from './decode.js';
import { encodeResponse } from './encode.js';
import { CLASSIC_UDP_LIMIT, type Query, Rcode, type Response, rcodeName } from './message.js';
import { metricTypeName } from './metrics.js';
import type { MeshZone } from './zone.js';

export type Transport = 'udp' | 'tcp';

export interface Outcome {
  /** The bytes to send back, or undefined to stay silent (no readable header, or a response). */
  readonly reply: Buffer | undefined;
  /** Query type for metrics: a known name (`A`, `SRV`), `other`, or `none` when no question was read. */
  readonly qtype: string;
  readonly rcode: string;
  /** Whether the packet was malformed (FORMERR or dropped). */
  readonly malformed: boolean;
  readonly truncated: boolean;
}

const TCP_LIMIT = 65535;

/** The most a UDP answer to this query may weigh: 512 without EDNS, else the asked size within [512, max]. */
export function udpLimit(query: Query, maxUdpPayload: number): number {
  if (query.edns === undefined) return CLASSIC_UDP_LIMIT;
  return Math.max(CLASSIC_UDP_LIMIT, Math.min(query.edns.udpPayloadSize, maxUdpPayload));
}

/**
 * Encodes a response within `limit` bytes. Too large → the records are dropped and TC is set (RFC 2181
 * 9): a client retries over TCP rather than use a partial RRset.
 */
export function encodeWithin(response: Response, limit: number): { bytes: Buffer; truncated: boolean } {
  const bytes = encodeResponse(response);
  if (bytes.length <= limit) return { bytes, truncated: false };
  const cut: Response = { ...response, truncated: true, answers: [], authorities: [], additionals: [] };
  return { bytes: encodeResponse(cut), truncated: true };
}

/** Handles one message received over `transport`. Never throws. */
export function respond(
  packet: Buffer,
  zone: MeshZone,
  options: ResolverOptions,
  transport: Transport,
): Outcome {
  const decoded = decodeQuery(packet);
  if (decoded.kind === 'drop') {
    return { reply: undefined, qtype: 'none', rcode: 'dropped', malformed: true, truncated: false };
  }
  if (decoded.kind === 'formerr') {
    const formerr: Response = {
      id: decoded.id,
      opcode: decoded.opcode,
      authoritative: false,
      truncated: false,
      recursionDesired: decoded.recursionDesired,
      rcode: Rcode.FORMERR,
      questions: [],
      answers: [],
      authorities: [],
      additionals: [],
      edns: undefined,
    };
    return {
      reply: encodeResponse(formerr),
      qtype: 'none',
      rcode: 'FORMERR',
      malformed: true,
      truncated: false,
    };
  }
  const { query } = decoded;
  const response = resolve(query, zone, options);
  const limit = transport === 'udp' ? udpLimit(query, options.maxUdpPayload) : TCP_LIMIT;
  const { bytes, truncated } = encodeWithin(response, limit);
  const question = query.questions[0];
  return {
    reply: bytes,
    qtype: question === undefined ? 'none' : metricTypeName(question.type),
    rcode: rcodeName(response.rcode),
    malformed: false,
    truncated,
  };
}
