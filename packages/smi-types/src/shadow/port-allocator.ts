/**
 * Gives every TCP and UDP Service port in the mesh a node-proxy port of its own. Pure: the allocations that
 * exist are read back from the shadow Services (allocationsFromShadows), so the API server is the only state
 * and a restart moves nothing.
 *
 * Rules, in order:
 * 1. HTTP ports take no allocation: port i of an http Service is served on entrypoint HTTP_ENTRYPOINT_BASE + i.
 * 2. A UDP port is UDP traffic whatever the Service's traffic type; a TCP port of a udp Service is TCP
 *    traffic. SCTP ports are not meshed.
 * 3. An existing allocation is kept while its Service port still wants one of that protocol and it lies in
 *    the current range. One outside the range (the operator narrowed it) is dropped and the port gets a new
 *    allocation inside. If two existing allocations claim one proxy port, the first in key order keeps it.
 *    Allocations of Service ports that are gone are freed.
 * 4. Service ports without an allocation get the lowest free port, Services in (namespace, name) order and
 *    ports in (protocol, port) order. A Service gets all the new ports it needs or none: if they do not all
 *    fit, it gets an error and the ports stay free for the Services after it.
 */
import type { TrafficType } from '../annotations/service-config.js';
import type { PortRange, ShadowOf } from './contract.js';
import type { ServiceProtocol } from './user-service.js';

export type ProxyProtocol = 'TCP' | 'UDP';

/** One Service port's node-proxy port. */
export interface PortAllocation {
  readonly of: ShadowOf;
  readonly protocol: ProxyProtocol;
  /** The user Service's port number (also the shadow Service's port). */
  readonly servicePort: number;
  /** The node-proxy port kube-proxy delivers to (the shadow port's targetPort). */
  readonly proxyPort: number;
}

/** A mesh Service as the allocator sees it. */
export interface MeshServicePorts {
  readonly of: ShadowOf;
  readonly trafficType: TrafficType;
  readonly ports: readonly { readonly port: number; readonly protocol: ServiceProtocol }[];
}

export interface PortAllocatorInput {
  readonly existing: readonly PortAllocation[];
  readonly services: readonly MeshServicePorts[];
  readonly tcpRange: PortRange;
  readonly udpRange: PortRange;
}

/** A Service some of whose ports could not be allocated. Its other allocations, if any, are kept. */
export interface AllocationError {
  readonly of: ShadowOf;
  readonly message: string;
}

export interface AllocationTable {
  /** Sorted by namespace, name, protocol, service port. */
  readonly allocations: readonly PortAllocation[];
  readonly errors: readonly AllocationError[];
}

/** How the node-proxy treats one port of a Service of the given traffic type. */
export function portTrafficType(serviceTrafficType: TrafficType, protocol: ProxyProtocol): TrafficType {
  if (protocol === 'UDP') return 'udp';
  return serviceTrafficType === 'udp' ? 'tcp' : serviceTrafficType;
}

/** The full allocation table and the Services that did not fit, by the rules at the top of this file. */
export function allocatePorts(input: PortAllocatorInput): AllocationTable {
  const services = dedupeServices(input.services);
  const wanted = new Set<string>();
  for (const svc of services) for (const want of wantedPorts(svc)) wanted.add(allocationKey(svc.of, ...want));

  const pools = { TCP: new Pool(input.tcpRange), UDP: new Pool(input.udpRange) };
  const kept = new Map<string, PortAllocation>();
  for (const existing of [...input.existing].sort(compareAllocations)) {
    const key = allocationKey(existing.of, existing.protocol, existing.servicePort);
    const pool = pools[existing.protocol];
    if (!wanted.has(key) || kept.has(key) || !pool.canTake(existing.proxyPort)) continue;
    pool.take(existing.proxyPort);
    kept.set(key, { ...existing, of: { namespace: existing.of.namespace, name: existing.of.name } });
  }

  const allocations = [...kept.values()];
  const shortfalls: { of: ShadowOf; missing: [ProxyProtocol, number][] }[] = [];
  const needOf = (missing: [ProxyProtocol, number][], protocol: ProxyProtocol) =>
    missing.filter(([p]) => p === protocol).length;
  for (const svc of services) {
    const missing = wantedPorts(svc).filter(
      ([protocol, port]) => !kept.has(allocationKey(svc.of, protocol, port)),
    );
    if (needOf(missing, 'TCP') > pools.TCP.free || needOf(missing, 'UDP') > pools.UDP.free) {
      shortfalls.push({ of: svc.of, missing });
      continue;
    }
    for (const [protocol, servicePort] of missing) {
      allocations.push({ of: svc.of, protocol, servicePort, proxyPort: pools[protocol].takeLowest() });
    }
  }
  // Worded with the free counts of the final table (which only shrank since the Service was turned down), so
  // a rebuild from the same table says the same thing.
  const errors = shortfalls.map(({ of, missing }) => ({
    of,
    message: (['TCP', 'UDP'] as const)
      .filter((protocol) => needOf(missing, protocol) > pools[protocol].free)
      .map((protocol) => {
        const pool = pools[protocol];
        const need = needOf(missing, protocol);
        const ports = need === 1 ? 'port' : 'ports';
        const free = pool.free === 1 ? '1 is' : `${pool.free} are`;
        return `needs ${need} more ${protocol} ${ports} but ${free} free in ${pool.describe()}`;
      })
      .join('; '),
  }));
  return { allocations: allocations.sort(compareAllocations), errors };
}

/** The proxy port of one Service port, or undefined when it has none. */
export function findAllocation(
  allocations: readonly PortAllocation[],
  of: ShadowOf,
  protocol: ProxyProtocol,
  servicePort: number,
): number | undefined {
  return allocations.find(
    (a) =>
      a.protocol === protocol &&
      a.servicePort === servicePort &&
      a.of.namespace === of.namespace &&
      a.of.name === of.name,
  )?.proxyPort;
}

/** The (protocol, port) pairs of a Service that need an allocation, sorted. */
function wantedPorts(svc: MeshServicePorts): [ProxyProtocol, number][] {
  const seen = new Set<string>();
  const wanted: [ProxyProtocol, number][] = [];
  for (const { port, protocol } of svc.ports) {
    if (protocol === 'SCTP' || portTrafficType(svc.trafficType, protocol) === 'http') continue;
    if (seen.has(`${protocol}/${port}`)) continue;
    seen.add(`${protocol}/${port}`);
    wanted.push([protocol, port]);
  }
  return wanted.sort((a, b) => compareText(a[0], b[0]) || a[1] - b[1]);
}

function dedupeServices(services: readonly MeshServicePorts[]): MeshServicePorts[] {
  const byKey = new Map<string, MeshServicePorts>();
  for (const svc of services) {
    const key = JSON.stringify([svc.of.namespace, svc.of.name]);
    if (!byKey.has(key)) byKey.set(key, svc);
  }
  return [...byKey.values()].sort((a, b) => compareOf(a.of, b.of));
}

function allocationKey(of: ShadowOf, protocol: ProxyProtocol, servicePort: number): string {
  return JSON.stringify([of.namespace, of.name, protocol, servicePort]);
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function compareOf(a: ShadowOf, b: ShadowOf): number {
  return compareText(a.namespace, b.namespace) || compareText(a.name, b.name);
}

function compareAllocations(a: PortAllocation, b: PortAllocation): number {
  return (
    compareOf(a.of, b.of) ||
    compareText(a.protocol, b.protocol) ||
    a.servicePort - b.servicePort ||
    a.proxyPort - b.proxyPort
  );
}

/** The ports of one range, handing out the lowest free one. Ports are only taken, never returned, in one run. */
class Pool {
  private readonly used = new Set<number>();
  private cursor: number;
  private readonly size: number;

  constructor(private readonly range: PortRange) {
    const valid =
      Number.isInteger(range.first) &&
      Number.isInteger(range.last) &&
      range.first >= 1 &&
      range.last <= 65535 &&
      range.first <= range.last;
    this.size = valid ? range.last - range.first + 1 : 0;
    this.cursor = range.first;
  }

  get free(): number {
    return this.size - this.used.size;
  }

  canTake(port: number): boolean {
    return this.size > 0 && port >= this.range.first && port <= this.range.last && !this.used.has(port);
  }

  take(port: number): void {
    this.used.add(port);
  }

  /** Call only when `free > 0`. */
  takeLowest(): number {
    while (this.used.has(this.cursor)) this.cursor++;
    this.used.add(this.cursor);
    return this.cursor;
  }

  describe(): string {
    return `${this.range.first}-${this.range.last}`;
  }
}
