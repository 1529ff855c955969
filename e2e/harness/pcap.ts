/**
 * Reading a packet capture, as pure functions: a classic pcap file (tcpdump -w, Ethernet or Linux cooked
 * v1/v2 headers) to IPv4 TCP segments, and the checks the mTLS suite makes on them: whether a marker string
 * or plaintext HTTP appears in any payload, and how many TLS records each connection carried.
 */

export interface TcpSegment {
  readonly src: string;
  readonly dst: string;
  readonly srcPort: number;
  readonly dstPort: number;
  readonly payload: Buffer;
}

const LINKTYPE_ETHERNET = 1;
const LINKTYPE_LINUX_SLL = 113;
const LINKTYPE_LINUX_SLL2 = 276;
const ETHERTYPE_IPV4 = 0x0800;

function ipv4(bytes: Buffer, at: number): string {
  return `${bytes[at]}.${bytes[at + 1]}.${bytes[at + 2]}.${bytes[at + 3]}`;
}

/** Where the IPv4 header starts in a frame of this link type, or undefined for another protocol. */
function ipv4Offset(linkType: number, frame: Buffer): number | undefined {
  const at = (length: number, protocolAt: number) =>
    frame.length >= length && frame.readUInt16BE(protocolAt) === ETHERTYPE_IPV4 ? length : undefined;
  switch (linkType) {
    case LINKTYPE_ETHERNET:
      return at(14, 12);
    case LINKTYPE_LINUX_SLL:
      return at(16, 14);
    case LINKTYPE_LINUX_SLL2:
      return at(20, 0);
    default:
      throw new Error(`pcap link type ${linkType} is not one the harness reads`);
  }
}

/** The TCP segments of a pcap file (other packets are skipped). Throws on a file that is not pcap. */
export function tcpSegments(file: Buffer): TcpSegment[] {
  if (file.length < 24)
    throw new Error(`a pcap file has a 24-byte header; this one has ${file.length} bytes`);
  const magic = file.readUInt32LE(0);
  const little = magic === 0xa1b2c3d4 || magic === 0xa1b23c4d;
  if (!little && file.readUInt32BE(0) !== 0xa1b2c3d4 && file.readUInt32BE(0) !== 0xa1b23c4d) {
    throw new Error(`not a pcap file (magic ${magic.toString(16)})`);
  }
  const u32 = (at: number) => (little ? file.readUInt32LE(at) : file.readUInt32BE(at));
  const linkType = u32(20) & 0x0fff_ffff;
  const segments: TcpSegment[] = [];
  let at = 24;
  while (at + 16 <= file.length) {
    const captured = u32(at + 8);
    const frame = file.subarray(at + 16, Math.min(file.length, at + 16 + captured));
    at += 16 + captured;
    const ip = ipv4Offset(linkType, frame);
    if (ip === undefined || frame.length < ip + 20) continue;
    const headerLength = ((frame[ip] ?? 0) & 0x0f) * 4;
    const totalLength = frame.readUInt16BE(ip + 2);
    if (frame[ip + 9] !== 6 || frame.length < ip + headerLength + 20) continue;
    const tcp = ip + headerLength;
    const dataOffset = ((frame[tcp + 12] ?? 0) >> 4) * 4;
    const end = Math.min(frame.length, ip + totalLength);
    segments.push({
      src: ipv4(frame, ip + 12),
      dst: ipv4(frame, ip + 16),
      srcPort: frame.readUInt16BE(tcp),
      dstPort: frame.readUInt16BE(tcp + 2),
      payload: frame.subarray(Math.min(end, tcp + dataOffset), end),
    });
  }
  return segments;
}

/** `src:port>dst:port`: one direction of a connection. */
export function flowOf(segment: TcpSegment): string {
  return `${segment.src}:${segment.srcPort}>${segment.dst}:${segment.dstPort}`;
}

/**
 * Each direction's payload bytes in capture order, deduplicated: on a bridge, `-i any` sees each frame on the
 * port it came in by and the one it left by. Good enough to search for a string split over segments.
 */
export function flowStreams(segments: readonly TcpSegment[]): Map<string, Buffer> {
  const parts = new Map<string, Buffer[]>();
  let previous: TcpSegment | undefined;
  for (const segment of segments) {
    if (segment.payload.length === 0) continue;
    const duplicate =
      previous !== undefined &&
      flowOf(previous) === flowOf(segment) &&
      previous.payload.equals(segment.payload);
    previous = segment;
    if (duplicate) continue;
    const key = flowOf(segment);
    parts.set(key, [...(parts.get(key) ?? []), segment.payload]);
  }
  return new Map([...parts].map(([key, list]) => [key, Buffer.concat(list)]));
}

/** The start of an HTTP/1 request or response, or of HTTP/2 in clear (h2c's preface). */
const PLAINTEXT_HTTP =
  /(^|\r\n\r\n)((GET|POST|PUT|HEAD|DELETE|OPTIONS|PATCH|CONNECT) \S+ HTTP\/1\.[01]\r\n|HTTP\/1\.[01] \d{3} |PRI \* HTTP\/2\.0\r\n)/;

/** TLS record content types: change_cipher_spec, alert, handshake, application_data. */
const TLS_CONTENT_TYPES = new Set([20, 21, 22, 23]);

/** The TLS records at the start of a stream, walked record by record; undefined when it is not TLS. */
export function tlsRecords(
  stream: Buffer,
): { readonly records: number; readonly applicationData: number } | undefined {
  let at = 0;
  let records = 0;
  let applicationData = 0;
  while (at + 5 <= stream.length) {
    const type = stream[at] ?? 0;
    if (!TLS_CONTENT_TYPES.has(type) || stream[at + 1] !== 3 || (stream[at + 2] ?? 9) > 4) break;
    records += 1;
    if (type === 23) applicationData += 1;
    at += 5 + stream.readUInt16BE(at + 3);
  }
  return records > 0 ? { records, applicationData } : undefined;
}

export interface CaptureVerdict {
  /** Flows whose bytes hold the marker. */
  readonly markerIn: readonly string[];
  /** Flows that start like plaintext HTTP (or carry it after a blank line). */
  readonly plaintextHttp: readonly string[];
  /** Flows that are TLS from their first byte, with their records. */
  readonly tls: ReadonlyMap<string, { readonly records: number; readonly applicationData: number }>;
}

/** What a capture shows of a marker, plaintext HTTP and TLS. */
export function judgeCapture(segments: readonly TcpSegment[], marker: string): CaptureVerdict {
  const markerIn: string[] = [];
  const plaintextHttp: string[] = [];
  const tls = new Map<string, { records: number; applicationData: number }>();
  const needle = Buffer.from(marker);
  for (const [flow, stream] of flowStreams(segments)) {
    if (stream.includes(needle)) markerIn.push(flow);
    if (PLAINTEXT_HTTP.test(stream.toString('latin1'))) plaintextHttp.push(flow);
    const records = tlsRecords(stream);
    if (records !== undefined) tls.set(flow, records);
  }
  return { markerIn, plaintextHttp, tls };
}
