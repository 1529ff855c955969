/**
 * The resolver: one decoded query and the zone in, one response out. Pure and authoritative only: names
 * outside the mesh domain are REFUSED, never looked up elsewhere.
 */
import {
  CLASS_IN,
  type Edns,
  lowerLabel,
  OPCODE_QUERY,
  type Query,
  type Question,
  Rcode,
  type RecordData,
  type ResourceRecord,
  type Response,
  RRType,
} from './message.js';
import type { MeshServiceEntry, MeshZone } from './zone.js';

export interface ResolverOptions {
  /** TTL of every record, and the SOA minimum (negative-caching TTL). */
  readonly ttl: number;
  /** Name of the zone's name server, e.g. `ns.dns.mesh`. */
  readonly nsName: string;
  /** Addresses `nsName` resolves to, when it is inside the zone (usually the controller's Service IP). */
  readonly nsAddresses: readonly string[];
  /** The SOA RNAME, as a name (`hostmaster.mesh`). */
  readonly hostmaster: string;
  /** The UDP payload size we advertise in our OPT record, and the most we honour. */
  readonly maxUdpPayload: number;
}

export const DEFAULT_TTL = 5;
export const DEFAULT_MAX_UDP_PAYLOAD = 4096;

/** Defaults for a domain: NS `ns.dns.<domain>`, hostmaster `hostmaster.<domain>`, TTL 5 s. */
export function resolverDefaults(domain: string): ResolverOptions {
  return {
    ttl: DEFAULT_TTL,
    nsName: `ns.dns.${domain}`,
    nsAddresses: [],
    hostmaster: `hostmaster.${domain}`,
    maxUdpPayload: DEFAULT_MAX_UDP_PAYLOAD,
  };
}

const AXFR = 252;
const IXFR = 251;
const CLASS_ANY = 255;

const split = (name: string): string[] => name.split('.').filter((label) => label !== '');

interface Found {
  readonly rcode: number;
  readonly answers: ResourceRecord[];
  readonly additionals: ResourceRecord[];
  /** Whether the SOA goes in the authority section (NXDOMAIN and NODATA). */
  readonly negative: boolean;
}

const found = (answers: ResourceRecord[], additionals: ResourceRecord[] = []): Found => ({
  rcode: Rcode.NOERROR,
  answers,
  additionals,
  negative: answers.length === 0,
});
const nxdomain: Found = { rcode: Rcode.NXDOMAIN, answers: [], additionals: [], negative: true };

function addressRecords(
  labels: readonly string[],
  type: number,
  ipv4: readonly string[],
  ipv6: readonly string[],
  ttl: number,
): ResourceRecord[] {
  const records: ResourceRecord[] = [];
  if (type === RRType.A || type === RRType.ANY)
    for (const address of ipv4) records.push({ labels, ttl, data: { type: RRType.A, address } });
  if (type === RRType.AAAA || type === RRType.ANY)
    for (const address of ipv6) records.push({ labels, ttl, data: { type: RRType.AAAA, address } });
  return records;
}

function soaRecord(zone: MeshZone, apex: readonly string[], options: ResolverOptions): ResourceRecord {
  const data: RecordData = {
    type: RRType.SOA,
    primary: split(options.nsName),
    admin: split(options.hostmaster),
    serial: zone.serial,
    refresh: 7200,
    retry: 1800,
    expire: 86400,
    minimum: options.ttl,
  };
  return { labels: apex, ttl: options.ttl, data };
}

function lookup(question: Question, relative: string[], zone: MeshZone, options: ResolverOptions): Found {
  const { ttl } = options;
  const { labels, type } = question;
  const apex = labels.slice(labels.length - zone.domainLabels.length);
  const relativeLower = relative.map(lowerLabel);
  if (relative.length === 0) {
    const answers: ResourceRecord[] = [];
    if (type === RRType.SOA || type === RRType.ANY) answers.push(soaRecord(zone, apex, options));
    if (type === RRType.NS || type === RRType.ANY)
      answers.push({ labels: apex, ttl, data: { type: RRType.NS, host: split(options.nsName) } });
    return found(answers);
  }
  const nsRelative = split(options.nsName.toLowerCase());
  if (
    nsRelative.length === relative.length + zone.domainLabels.length &&
    nsRelative.join('.') === [...relativeLower, ...zone.domainLabels].join('.')
  ) {
    const ipv4 = options.nsAddresses.filter((address) => !address.includes(':'));
    const ipv6 = options.nsAddresses.filter((address) => address.includes(':'));
    return found(addressRecords(labels, type, ipv4, ipv6, ttl));
  }
  const [first = '', second = '', third = '', fourth = ''] = relative;
  if (relative.length === 1) return zone.hasNamespace(first) ? found([]) : nxdomain;
  if (relative.length === 2) {
    const entry = zone.get(second, first);
    if (entry === undefined) return nxdomain;
    return found(addressRecords(labels, type, entry.ipv4, entry.ipv6, ttl));
  }
  if (relative.length === 3) {
    // `_tcp.<svc>.<ns>` exists (empty) when the Service has a named port of that protocol.
    const entry = zone.get(third, second);
    const protocol = protocolOf(first);
    const exists =
      entry !== undefined &&
      protocol !== undefined &&
      namedPorts(entry).some((port) => port.protocol === protocol);
    return exists ? found([]) : nxdomain;
  }
  if (relative.length === 4) {
    const entry = zone.get(fourth, third);
    const protocol = protocolOf(second);
    if (entry === undefined || protocol === undefined || !first.startsWith('_')) return nxdomain;
    const portName = lowerLabel(first.slice(1));
    const port = namedPorts(entry).find((p) => p.protocol === protocol && p.name === portName);
    if (port === undefined) return nxdomain;
    if (type !== RRType.SRV && type !== RRType.ANY) return found([]);
    // The target is the Service's own name (lower case), not an echo of how the question spelled it.
    const target = [entry.record.name, entry.record.namespace, ...zone.domainLabels];
    const srv: ResourceRecord = {
      labels,
      ttl,
      data: { type: RRType.SRV, priority: 0, weight: 100, port: port.port, target },
    };
    return found([srv], addressRecords(target, RRType.ANY, entry.ipv4, entry.ipv6, ttl));
  }
  return nxdomain;
}

function protocolOf(label: string): 'TCP' | 'UDP' | undefined {
  const lower = lowerLabel(label);
  if (lower === '_tcp') return 'TCP';
  if (lower === '_udp') return 'UDP';
  return undefined;
}

function namedPorts(entry: MeshServiceEntry): MeshServiceEntry['record']['ports'] {
  return entry.record.ports.filter((port) => port.name !== '');
}

/** Our OPT record in reply to the query's, or none if the query had none. */
function replyEdns(query: Query, options: ResolverOptions): Edns | undefined {
  if (query.edns === undefined) return undefined;
  return { udpPayloadSize: options.maxUdpPayload, version: 0, dnssecOk: query.edns.dnssecOk };
}

/** Answers one decoded query from the zone. */
export function resolve(query: Query, zone: MeshZone, options: ResolverOptions): Response {
  const base = {
    id: query.id,
    opcode: query.opcode,
    authoritative: false,
    truncated: false,
    recursionDesired: query.recursionDesired,
    questions: query.questions,
    answers: [],
    authorities: [],
    additionals: [],
    edns: replyEdns(query, options),
  };
  if (query.opcode !== OPCODE_QUERY) return { ...base, rcode: Rcode.NOTIMP, edns: undefined };
  if (query.edns !== undefined && query.edns.version !== 0) return { ...base, rcode: Rcode.BADVERS };
  const question = query.questions[0];
  if (question === undefined || query.questions.length !== 1) return { ...base, rcode: Rcode.FORMERR };
  if (question.type === RRType.OPT) return { ...base, rcode: Rcode.FORMERR };
  const domain = zone.domainLabels;
  const cut = question.labels.length - domain.length;
  const inZone =
    cut >= 0 && domain.every((label, index) => lowerLabel(question.labels[cut + index] ?? '') === label);
  if (!inZone || (question.class !== CLASS_IN && question.class !== CLASS_ANY))
    return { ...base, rcode: Rcode.REFUSED };
  if (question.type === AXFR || question.type === IXFR) return { ...base, rcode: Rcode.REFUSED };
  const result = lookup(question, question.labels.slice(0, cut), zone, options);
  const apex = question.labels.slice(cut);
  return {
    ...base,
    authoritative: true,
    rcode: result.rcode,
    answers: result.answers,
    authorities: result.negative ? [soaRecord(zone, apex, options)] : [],
    additionals: result.additionals,
  };
}
