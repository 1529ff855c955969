/** Small builders of topology inputs, for unit and socket tests. */
import type { HTTPRouteGroup, TrafficSplit, TrafficType } from '@nodemesh/smi-types';
import type { EndpointInput, MeshServiceInput, TopologyInputs } from '../src/topology/inputs.js';

export interface PortSpec {
  readonly name?: string;
  readonly port: number;
  readonly targetPort: number;
  readonly trafficType?: TrafficType;
}

/** A mesh Service with a shadow: each port gets the given proxy targetPort. */
export function meshService(
  namespace: string,
  name: string,
  ports: readonly PortSpec[],
  options: { clusterIP?: string; scheme?: 'http' | 'h2c'; trafficType?: TrafficType; shadow?: boolean } = {},
): MeshServiceInput {
  const trafficType = options.trafficType ?? 'http';
  return {
    namespace,
    name,
    config: {
      trafficType,
      scheme: options.scheme ?? 'http',
      retry: undefined,
      timeoutMs: undefined,
      circuitBreaker: undefined,
      rateLimit: undefined,
    },
    ports: ports.map((p) => ({
      name: p.name ?? '',
      port: p.port,
      protocol: (p.trafficType ?? trafficType) === 'udp' ? 'UDP' : 'TCP',
    })),
    ...(options.shadow === false
      ? {}
      : {
          shadow: {
            clusterIPs: options.clusterIP === undefined ? [] : [options.clusterIP],
            ports: ports.map((p) => ({
              name: p.name ?? `p${p.port}`,
              protocol: (p.trafficType ?? trafficType) === 'udp' ? 'UDP' : 'TCP',
              port: p.port,
              targetPort: p.targetPort,
              trafficType: p.trafficType ?? trafficType,
            })),
          },
        }),
  };
}

/** Ready endpoints with one named port each (`''` for an unnamed Service port). */
export function readyEndpoints(
  targets: readonly { address: string; port: number }[],
  portName = '',
): EndpointInput[] {
  return targets.map((t) => ({
    address: t.address,
    ports: { [portName]: t.port },
    ready: true,
    serving: true,
    terminating: false,
  }));
}

export function split(
  namespace: string,
  name: string,
  service: string,
  backends: readonly [string, number][],
  matches: readonly string[] = [],
): TrafficSplit {
  return {
    kind: 'TrafficSplit',
    apiVersion: 'split.smi-spec.io/v1alpha4',
    namespace,
    name,
    service,
    backends: backends.map(([s, weight]) => ({ service: s, weight })),
    matches: matches.map((m) => ({ kind: 'HTTPRouteGroup', name: m })),
  };
}

export function routeGroup(
  namespace: string,
  name: string,
  matches: HTTPRouteGroup['matches'],
): HTTPRouteGroup {
  return { kind: 'HTTPRouteGroup', apiVersion: 'specs.smi-spec.io/v1alpha4', namespace, name, matches };
}

export function topologyInputs(parts: {
  services: readonly MeshServiceInput[];
  endpoints?: Readonly<Record<string, readonly EndpointInput[]>>;
  splits?: readonly TrafficSplit[];
  routeGroups?: readonly HTTPRouteGroup[];
  meshDomain?: string;
}): TopologyInputs {
  return {
    meshDomain: parts.meshDomain ?? 'mesh',
    services: new Map(parts.services.map((s) => [`${s.namespace}/${s.name}`, s])),
    endpoints: new Map(Object.entries(parts.endpoints ?? {})),
    trafficSplits: parts.splits ?? [],
    httpRouteGroups: new Map((parts.routeGroups ?? []).map((g) => [`${g.namespace}/${g.name}`, g])),
  };
}
