import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { TrafficType } from '../annotations/service-config.js';
import type { PortRange } from './contract.js';
import { allocationsFromShadows, parseShadowService } from './parse-shadow-service.js';
import {
  type AllocationTable,
  allocatePorts,
  type MeshServicePorts,
  type PortAllocation,
  portTrafficType,
} from './port-allocator.js';
import { desiredShadowService } from './shadow-service.js';
import type { ServiceProtocol, UserService } from './user-service.js';

const TCP: PortRange = { first: 10000, last: 10009 };
const UDP: PortRange = { first: 15000, last: 15004 };

function service(
  namespace: string,
  name: string,
  trafficType: TrafficType,
  ports: [number, ServiceProtocol][],
) {
  return {
    of: { namespace, name },
    trafficType,
    ports: ports.map(([port, protocol]) => ({ port, protocol })),
  };
}

function alloc(
  namespace: string,
  name: string,
  protocol: 'TCP' | 'UDP',
  servicePort: number,
  proxyPort: number,
) {
  return { of: { namespace, name }, protocol, servicePort, proxyPort };
}

const allocate = (
  services: MeshServicePorts[],
  existing: PortAllocation[] = [],
  tcpRange = TCP,
  udpRange = UDP,
) => allocatePorts({ existing, services, tcpRange, udpRange });

describe('portTrafficType', () => {
  it.each([
    ['http', 'TCP', 'http'],
    ['http', 'UDP', 'udp'],
    ['tcp', 'TCP', 'tcp'],
    ['tcp', 'UDP', 'udp'],
    ['udp', 'UDP', 'udp'],
    ['udp', 'TCP', 'tcp'],
  ] as const)('a %s Service treats a %s port as %s', (svc, protocol, expected) => {
    expect(portTrafficType(svc, protocol)).toBe(expected);
  });
});

describe('allocatePorts', () => {
  it('gives tcp and udp ports the lowest free port, and http ports nothing', () => {
    const table = allocate([
      service('shop', 'web', 'http', [
        [80, 'TCP'],
        [53, 'UDP'],
      ]),
      service('shop', 'db', 'tcp', [
        [5432, 'TCP'],
        [9000, 'SCTP'],
      ]),
      service('shop', 'dns', 'udp', [
        [53, 'UDP'],
        [53, 'TCP'],
      ]),
    ]);
    expect(table).toEqual({
      allocations: [
        alloc('shop', 'db', 'TCP', 5432, 10000),
        alloc('shop', 'dns', 'TCP', 53, 10001),
        alloc('shop', 'dns', 'UDP', 53, 15000),
        alloc('shop', 'web', 'UDP', 53, 15001),
      ],
      errors: [],
    });
  });

  it('keeps existing allocations and fills gaps from the bottom', () => {
    const table = allocate(
      [service('a', 'one', 'tcp', [[1, 'TCP']]), service('b', 'two', 'tcp', [[2, 'TCP']])],
      [alloc('b', 'two', 'TCP', 2, 10000)],
    );
    expect(table.allocations).toEqual([
      alloc('a', 'one', 'TCP', 1, 10001),
      alloc('b', 'two', 'TCP', 2, 10000),
    ]);
  });

  it('frees the ports of deleted Services and of ports that became http', () => {
    const existing = [alloc('a', 'gone', 'TCP', 1, 10000), alloc('a', 'now-http', 'TCP', 80, 10001)];
    const table = allocate(
      [service('a', 'now-http', 'http', [[80, 'TCP']]), service('b', 'new', 'tcp', [[1, 'TCP']])],
      existing,
    );
    expect(table.allocations).toEqual([alloc('b', 'new', 'TCP', 1, 10000)]);
  });

  it('moves an allocation that lies outside a narrowed range into it', () => {
    const table = allocate([service('a', 'x', 'tcp', [[1, 'TCP']])], [alloc('a', 'x', 'TCP', 1, 9999)]);
    expect(table.allocations).toEqual([alloc('a', 'x', 'TCP', 1, 10000)]);
  });

  it('settles two existing allocations of one proxy port: the first in key order keeps it', () => {
    const table = allocate(
      [service('a', 'x', 'tcp', [[1, 'TCP']]), service('b', 'y', 'tcp', [[1, 'TCP']])],
      [alloc('b', 'y', 'TCP', 1, 10005), alloc('a', 'x', 'TCP', 1, 10005)],
    );
    expect(table.allocations).toEqual([alloc('a', 'x', 'TCP', 1, 10005), alloc('b', 'y', 'TCP', 1, 10000)]);
  });

  it('isolates exhaustion to the Service that does not fit', () => {
    const range = { first: 100, last: 102 };
    const table = allocate(
      [
        service('ns', 'a', 'tcp', [
          [1, 'TCP'],
          [2, 'TCP'],
        ]),
        service('ns', 'b', 'tcp', [
          [1, 'TCP'],
          [2, 'TCP'],
        ]),
        service('ns', 'c', 'tcp', [[1, 'TCP']]),
      ],
      [],
      range,
    );
    expect(table).toEqual({
      allocations: [
        alloc('ns', 'a', 'TCP', 1, 100),
        alloc('ns', 'a', 'TCP', 2, 101),
        alloc('ns', 'c', 'TCP', 1, 102),
      ],
      errors: [
        { of: { namespace: 'ns', name: 'b' }, message: 'needs 2 more TCP ports but 0 are free in 100-102' },
      ],
    });
  });

  it('keeps the existing allocations of a Service that cannot get a new one', () => {
    const range = { first: 100, last: 100 };
    const table = allocate(
      [
        service('ns', 'a', 'tcp', [
          [1, 'TCP'],
          [2, 'TCP'],
        ]),
      ],
      [alloc('ns', 'a', 'TCP', 1, 100)],
      range,
    );
    expect(table).toEqual({
      allocations: [alloc('ns', 'a', 'TCP', 1, 100)],
      errors: [
        { of: { namespace: 'ns', name: 'a' }, message: 'needs 1 more TCP port but 0 are free in 100-100' },
      ],
    });
  });

  it('treats an empty or invalid range as full', () => {
    const table = allocate([service('ns', 'a', 'udp', [[1, 'UDP']])], [], TCP, { first: 10, last: 9 });
    expect(table.errors).toEqual([
      { of: { namespace: 'ns', name: 'a' }, message: 'needs 1 more UDP port but 0 are free in 10-9' },
    ]);
  });
});

// Property tests: a small world (few names, few ports, narrow ranges) so that collisions and exhaustion happen.
const trafficType = fc.constantFrom<TrafficType>('http', 'tcp', 'udp');
const userPorts = fc.uniqueArray(
  fc.record({
    port: fc.integer({ min: 1, max: 8 }),
    protocol: fc.constantFrom<ServiceProtocol>('TCP', 'UDP', 'SCTP'),
  }),
  { maxLength: 4, selector: (p) => `${p.protocol}/${p.port}` },
);
const userService = fc
  .record({
    namespace: fc.constantFrom('a', 'b', 'c'),
    name: fc.constantFrom('w', 'x', 'y', 'z', 'v'),
    trafficType,
    ports: userPorts,
  })
  .map(({ namespace, name, trafficType, ports }): [UserService, TrafficType] => [
    {
      namespace,
      name,
      type: 'ClusterIP',
      clusterIPs: [],
      ports: ports.map((p, i) => ({ ...p, name: `port-${i}`, targetPort: undefined })),
      selector: undefined,
      annotations: {},
      resourceVersion: undefined,
    },
    trafficType,
  ]);
const world = fc.uniqueArray(userService, { maxLength: 12, selector: ([s]) => `${s.namespace}/${s.name}` });
const range = fc.record({ first: fc.constant(100), last: fc.integer({ min: 99, max: 112 }) });

const meshPorts = ([svc, type]: [UserService, TrafficType]): MeshServicePorts => ({
  of: { namespace: svc.namespace, name: svc.name },
  trafficType: type,
  ports: svc.ports,
});

/** What a restarted controller would read back from the shadow Services of a table. */
function rebuild(services: [UserService, TrafficType][], table: AllocationTable): PortAllocation[] {
  const parsed = services.map(([svc, trafficType]) => {
    const result = parseShadowService(
      desiredShadowService(svc, { trafficType }, table, { meshNamespace: 'nodemesh' }),
    );
    if (!result.ok) throw new Error(JSON.stringify(result.errors));
    return result.value;
  });
  return allocationsFromShadows(parsed);
}

describe('allocatePorts properties', () => {
  it('is stable across a rebuild from the shadow Services', () => {
    fc.assert(
      fc.property(world, range, range, (services, tcpRange, udpRange) => {
        const input = { services: services.map(meshPorts), tcpRange, udpRange };
        const first = allocatePorts({ ...input, existing: [] });
        const again = allocatePorts({ ...input, existing: rebuild(services, first) });
        expect(again).toEqual(first);
      }),
      { numRuns: 300 },
    );
  });

  it('gives the same table whatever the order of its input', () => {
    fc.assert(
      fc.property(world, range, fc.integer(), (services, tcpRange, seed) => {
        const mesh = services.map(meshPorts);
        const shuffled = [...mesh].sort(
          (a, b) => ((a.of.name.charCodeAt(0) * seed) % 7) - ((b.of.name.charCodeAt(0) * seed) % 7),
        );
        const base = { existing: [], tcpRange, udpRange: tcpRange };
        expect(allocatePorts({ ...base, services: shuffled })).toEqual(
          allocatePorts({ ...base, services: mesh }),
        );
      }),
    );
  });

  it('never moves existing ports when a Service is added', () => {
    fc.assert(
      fc.property(world, userService, range, (services, added, tcpRange) => {
        const others = services.filter(
          ([s]) => s.namespace !== added[0].namespace || s.name !== added[0].name,
        );
        const before = allocate(others.map(meshPorts), [], tcpRange, tcpRange);
        const after = allocate(
          [...others, added].map(meshPorts),
          [...before.allocations],
          tcpRange,
          tcpRange,
        );
        for (const allocation of before.allocations) expect(after.allocations).toContainEqual(allocation);
        const failedBefore = new Set(before.errors.map((e) => JSON.stringify(e.of)));
        for (const error of after.errors) {
          const key = JSON.stringify(error.of);
          expect(failedBefore.has(key) || key === JSON.stringify(meshPorts(added).of)).toBe(true);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('never puts two Service ports on one proxy port, and stays in range', () => {
    fc.assert(
      fc.property(world, range, range, (services, tcpRange, udpRange) => {
        const table = allocate(services.map(meshPorts), [], tcpRange, udpRange);
        for (const [protocol, r] of [
          ['TCP', tcpRange],
          ['UDP', udpRange],
        ] as const) {
          const ports = table.allocations.filter((a) => a.protocol === protocol).map((a) => a.proxyPort);
          expect(new Set(ports).size).toBe(ports.length);
          for (const port of ports) expect(port >= r.first && port <= r.last).toBe(true);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('fails only Services that truly did not fit, and allocates every port of the others', () => {
    fc.assert(
      fc.property(world, range, range, (services, tcpRange, udpRange) => {
        const table = allocate(services.map(meshPorts), [], tcpRange, udpRange);
        const size = (r: PortRange) => Math.max(0, r.last - r.first + 1);
        const free = {
          TCP: size(tcpRange) - table.allocations.filter((a) => a.protocol === 'TCP').length,
          UDP: size(udpRange) - table.allocations.filter((a) => a.protocol === 'UDP').length,
        };
        for (const [svc, type] of services) {
          const wanted = svc.ports.filter(
            (p): p is typeof p & { protocol: 'TCP' | 'UDP' } =>
              p.protocol !== 'SCTP' && portTrafficType(type, p.protocol) !== 'http',
          );
          const mine = table.allocations.filter(
            (a) => a.of.namespace === svc.namespace && a.of.name === svc.name,
          );
          const failed = table.errors.some((e) => e.of.namespace === svc.namespace && e.of.name === svc.name);
          if (failed) {
            expect(mine).toEqual([]);
            const needs = (protocol: 'TCP' | 'UDP') => wanted.filter((p) => p.protocol === protocol).length;
            expect(needs('TCP') > free.TCP || needs('UDP') > free.UDP).toBe(true);
          } else {
            expect(mine.length).toBe(wanted.length);
          }
        }
      }),
      { numRuns: 300 },
    );
  });
});
