/**
 * The routes of one mesh Service, built from its inputs alone (pure). The topology builder memoises the
 * result by the identity of exactly the inputs read here, so a change elsewhere never rebuilds it.
 */
import type { HTTPRouteGroup, ShadowPort, TrafficSplit } from '@nodemesh/smi-types';
import type { Backend, Endpoint, Problem, Route, SplitRoute } from '../snapshot/snapshot.js';
import { endpointKey } from '../snapshot/snapshot.js';
import { compileHttpMatch, type HttpMatchRule } from './http-match.js';
import { type EndpointInput, type MeshServiceInput, objectKey, type TopologyInputs } from './inputs.js';

/** What one Service contributes to a snapshot. */
export interface ServiceRoutes {
  readonly routes: readonly Route[];
  readonly problems: readonly Problem[];
  /** The input objects read, in order: equal (by identity) next time means the same result. */
  readonly dependencies: readonly unknown[];
}

/** The TrafficSplits whose root is each Service, by Service key, in name order. */
export function splitsByRoot(splits: readonly TrafficSplit[]): Map<string, TrafficSplit[]> {
  const byRoot = new Map<string, TrafficSplit[]>();
  for (const split of splits) {
    const key = objectKey(split.namespace, split.service);
    const list = byRoot.get(key);
    if (list === undefined) byRoot.set(key, [split]);
    else list.push(split);
  }
  for (const list of byRoot.values()) list.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return byRoot;
}

/** The objects `buildServiceRoutes` would read for this Service, for the memo check. */
export function serviceDependencies(
  service: MeshServiceInput,
  splits: readonly TrafficSplit[] | undefined,
  inputs: TopologyInputs,
): unknown[] {
  const deps: unknown[] = [
    inputs.meshDomain,
    service,
    inputs.endpoints.get(objectKey(service.namespace, service.name)),
  ];
  for (const split of splits ?? []) {
    deps.push(split);
    for (const backend of split.backends) {
      const key = objectKey(split.namespace, backend.service);
      deps.push(inputs.services.get(key), inputs.endpoints.get(key));
    }
    for (const match of split.matches) {
      if (match.kind === 'HTTPRouteGroup')
        deps.push(inputs.httpRouteGroups.get(objectKey(split.namespace, match.name)));
    }
  }
  return deps;
}

/** Builds the routes of one Service that has a shadow; a Service without one has no routes. */
export function buildServiceRoutes(
  service: MeshServiceInput,
  splits: readonly TrafficSplit[] | undefined,
  inputs: TopologyInputs,
): ServiceRoutes {
  const dependencies = serviceDependencies(service, splits, inputs);
  const problems: Problem[] = [];
  const shadow = service.shadow;
  if (shadow === undefined) return { routes: [], problems, dependencies };

  const split = splits?.[0];
  if (splits !== undefined && splits.length > 1) {
    for (const ignored of splits.slice(1)) {
      problems.push({
        kind: 'TrafficSplit',
        namespace: ignored.namespace,
        name: ignored.name,
        reason: 'DuplicateSplit',
        message: `Service ${service.name} already has TrafficSplit "${split?.name}"; this one is ignored`,
      });
    }
  }
  const rules = split === undefined ? undefined : compileSplitMatches(split, inputs, problems);
  const rootEndpoints = inputs.endpoints.get(objectKey(service.namespace, service.name)) ?? [];
  const routes: Route[] = [];
  for (const shadowPort of shadow.ports) {
    const root = resolveBackend(service, shadowPort, rootEndpoints, 1);
    if (root === undefined) {
      problems.push({
        kind: 'Service',
        namespace: service.namespace,
        name: service.name,
        reason: 'PortMissing',
        message: `shadow port ${shadowPort.protocol} ${shadowPort.port} is not a port of the Service`,
      });
      continue;
    }
    routes.push({
      service: { namespace: service.namespace, name: service.name },
      trafficType: shadowPort.trafficType,
      port: shadowPort.port,
      portName: shadowPort.name,
      listenerPort: shadowPort.targetPort,
      root,
      split:
        split === undefined ? undefined : buildSplit(split, shadowPort, rules, service, inputs, problems),
    });
  }
  return { routes, problems, dependencies };
}

function buildSplit(
  split: TrafficSplit,
  shadowPort: ShadowPort,
  rules: readonly HttpMatchRule[] | undefined,
  root: MeshServiceInput,
  inputs: TopologyInputs,
  problems: Problem[],
): SplitRoute {
  const backends: Backend[] = [];
  for (const entry of split.backends) {
    const key = objectKey(split.namespace, entry.service);
    const service = key === objectKey(root.namespace, root.name) ? root : inputs.services.get(key);
    if (service === undefined) {
      problems.push(
        splitProblem(split, 'BackendNotFound', `backend Service "${entry.service}" does not exist`),
      );
      continue;
    }
    const backend = resolveBackend(service, shadowPort, inputs.endpoints.get(key) ?? [], entry.weight);
    if (backend === undefined) {
      problems.push(
        splitProblem(
          split,
          'BackendPortMissing',
          `backend Service "${entry.service}" has no ${shadowPort.protocol} port ${shadowPort.port}; it gets no traffic on that port`,
        ),
      );
      continue;
    }
    backends.push(backend);
  }
  const totalWeight = backends.reduce((sum, b) => sum + b.weight, 0);
  // Route matches narrow HTTP traffic only; a TCP/UDP split applies to the whole port.
  return {
    name: split.name,
    backends,
    totalWeight,
    matches: shadowPort.trafficType === 'http' ? rules : undefined,
  };
}

/** The compiled HTTPRouteGroup matches of a split, or undefined when it names none (all traffic). */
function compileSplitMatches(
  split: TrafficSplit,
  inputs: TopologyInputs,
  problems: Problem[],
): HttpMatchRule[] | undefined {
  const groups = split.matches.filter((m) => m.kind === 'HTTPRouteGroup');
  if (groups.length === 0) return undefined;
  const rules: HttpMatchRule[] = [];
  for (const ref of groups) {
    const group: HTTPRouteGroup | undefined = inputs.httpRouteGroups.get(
      objectKey(split.namespace, ref.name),
    );
    if (group === undefined) {
      problems.push(splitProblem(split, 'RouteGroupNotFound', `HTTPRouteGroup "${ref.name}" does not exist`));
      continue;
    }
    for (const match of group.matches) {
      const compiled = compileHttpMatch(match);
      if ('error' in compiled) problems.push(splitProblem(split, 'InvalidMatch', compiled.error));
      else rules.push(compiled.rule);
    }
  }
  return rules;
}

/**
 * The Service as a backend for one user port (number and protocol: a DNS Service has UDP 53 and TCP 53): its
 * ready endpoints on the resolved target port.
 */
function resolveBackend(
  service: MeshServiceInput,
  port: { readonly port: number; readonly protocol: 'TCP' | 'UDP' },
  endpoints: readonly EndpointInput[],
  weight: number,
): Backend | undefined {
  const servicePort = service.ports.find((p) => p.port === port.port && p.protocol === port.protocol);
  if (servicePort === undefined) return undefined;
  const ready: Endpoint[] = [];
  for (const endpoint of endpoints) {
    if (!endpoint.ready || endpoint.terminating) continue;
    const target = endpoint.ports[servicePort.name];
    if (target === undefined) continue;
    ready.push({ address: endpoint.address, port: target, key: endpointKey(endpoint.address, target) });
  }
  return {
    service: { namespace: service.namespace, name: service.name },
    weight,
    scheme: service.config.scheme,
    endpoints: ready,
  };
}

function splitProblem(split: TrafficSplit, reason: string, message: string): Problem {
  return { kind: 'TrafficSplit', namespace: split.namespace, name: split.name, reason, message };
}
