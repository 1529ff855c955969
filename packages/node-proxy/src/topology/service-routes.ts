/**
 * The routes of one mesh Service, built from its inputs alone (pure). The topology builder memoises the
 * result by the identity of exactly the inputs read here, so a change elsewhere never rebuilds it.
 */
import {
  DEFAULT_MTLS_MODE,
  type HTTPRouteGroup,
  type MeshRoute,
  type ShadowPort,
  type TrafficSplit,
} from '@nodemesh/smi-types';
import type { Backend, Endpoint, Problem, Route, SplitRoute } from '../snapshot/snapshot.js';
import { endpointKey } from '../snapshot/snapshot.js';
import { compileHttpMatch, type HttpMatchRule } from './http-match.js';
import { type EndpointInput, type MeshServiceInput, objectKey, type TopologyInputs } from './inputs.js';
import { compileMeshRouting, meshRouteDependencies } from './mesh-route-table.js';
import { aboutObject, routeGroupProblem } from './problem-about.js';

/** What one Service contributes to a snapshot. */
export interface ServiceRoutes {
  readonly routes: readonly Route[];
  readonly problems: readonly Problem[];
  /** The input objects read, in order: equal (by identity) next time means the same result. */
  readonly dependencies: readonly unknown[];
}

/**
 * The TrafficSplits whose root is each Service, by Service key, oldest first: the first one is in effect.
 * Oldest by creation time, then by name: a newer split never silently replaces one that works.
 */
export function splitsByRoot(splits: readonly TrafficSplit[]): Map<string, TrafficSplit[]> {
  const byRoot = new Map<string, TrafficSplit[]>();
  for (const split of splits) {
    const key = objectKey(split.namespace, split.service);
    const list = byRoot.get(key);
    if (list === undefined) byRoot.set(key, [split]);
    else list.push(split);
  }
  for (const list of byRoot.values()) list.sort(olderFirst);
  return byRoot;
}

/** Creation time, then name. A split without a creation time (never one from an API server) counts as newest. */
export function olderFirst(a: TrafficSplit, b: TrafficSplit): number {
  const at = createdAt(a);
  const bt = createdAt(b);
  if (at !== bt) return at < bt ? -1 : 1;
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

function createdAt(split: TrafficSplit): number {
  const time = split.creationTimestamp === undefined ? Number.NaN : Date.parse(split.creationTimestamp);
  return Number.isNaN(time) ? Number.POSITIVE_INFINITY : time;
}

/** The objects `buildServiceRoutes` would read for this Service, for the memo check. */
export function serviceDependencies(
  service: MeshServiceInput,
  splits: readonly TrafficSplit[] | undefined,
  inputs: TopologyInputs,
  meshRoutes?: readonly MeshRoute[],
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
  if (meshRoutes !== undefined) deps.push(...meshRouteDependencies(meshRoutes, inputs));
  return deps;
}

/** Builds the routes of one Service that has a shadow; a Service without one has no routes. */
export function buildServiceRoutes(
  service: MeshServiceInput,
  splits: readonly TrafficSplit[] | undefined,
  inputs: TopologyInputs,
  meshRoutes?: readonly MeshRoute[],
): ServiceRoutes {
  const dependencies = serviceDependencies(service, splits, inputs, meshRoutes);
  const problems: Problem[] = [];
  const shadow = service.shadow;
  if (shadow === undefined) return { routes: [], problems, dependencies };

  const split = splits?.[0];
  if (split !== undefined && splits !== undefined) {
    for (const ignored of splits.slice(1)) {
      problems.push(
        splitProblem(
          ignored,
          'DuplicateSplit',
          `Service ${service.name} already has the older TrafficSplit "${split.name}"; this one is ignored until that one is deleted`,
        ),
      );
    }
  }
  const rules = split === undefined ? undefined : compileSplitMatches(split, inputs, problems);
  const rootEndpoints = inputs.endpoints.get(objectKey(service.namespace, service.name)) ?? [];
  const routes: Route[] = [];
  let overriddenSplit = false;
  for (const shadowPort of shadow.ports) {
    if (service.config.trafficType === 'udp' && shadowPort.protocol === 'TCP') {
      problems.push({
        kind: 'Service',
        namespace: service.namespace,
        name: service.name,
        reason: 'TrafficTypeMismatch',
        message: `nodemesh.io/traffic-type is udp, but port ${shadowPort.port} is a TCP port: it is proxied as raw TCP`,
      });
    }
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
    const mesh = compileMeshRouting(service, shadowPort, meshRoutes, inputs, resolveBackend);
    if (mesh !== undefined && split !== undefined && !overriddenSplit) {
      overriddenSplit = true;
      problems.push(
        splitProblem(
          split,
          'OverriddenByRoute',
          `Gateway API routes attached to Service ${service.name} take precedence: this TrafficSplit does not apply on the ports they attach to`,
        ),
      );
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
      mesh,
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
  if (totalWeight === 0 && backends.length > 0) {
    problems.push(
      splitProblem(
        split,
        'NoWeight',
        `no backend that can take ${shadowPort.protocol} port ${shadowPort.port} has a weight above 0: every call to ${root.name} on that port fails`,
      ),
    );
  }
  if (rules !== undefined && shadowPort.trafficType !== 'http') {
    // HTTP route matches cannot be checked on a TCP or UDP port. Applying the split to the whole port would
    // widen it, so the port's traffic keeps going to the root Service (a request-less choice never matches).
    problems.push(
      splitProblem(
        split,
        'MatchesNotApplicable',
        `its HTTPRouteGroup matches cannot apply to ${shadowPort.trafficType} port ${shadowPort.port}: that port's traffic goes to ${root.name} itself`,
      ),
    );
  }
  return { name: split.name, backends, totalWeight, matches: rules };
}

/** The compiled HTTPRouteGroup matches of a split, or undefined when it names none (all traffic). */
function compileSplitMatches(
  split: TrafficSplit,
  inputs: TopologyInputs,
  problems: Problem[],
): HttpMatchRule[] | undefined {
  const groups = split.matches;
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
      if ('error' in compiled) problems.push(routeGroupProblem(group, 'InvalidMatch', compiled.error));
      else rules.push(compiled.rule);
    }
  }
  return rules;
}

/**
 * The Service as a backend for one user port (number and protocol: a DNS Service has UDP 53 and TCP 53): its
 * ready endpoints on the resolved target port.
 */
export function resolveBackend(
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
    const key = endpointKey(endpoint.address, target);
    ready.push(
      endpoint.nodeName === undefined
        ? { address: endpoint.address, port: target, key }
        : { address: endpoint.address, port: target, key, nodeName: endpoint.nodeName },
    );
  }
  return {
    service: { namespace: service.namespace, name: service.name },
    weight,
    scheme: service.config.scheme,
    mtlsMode: service.mtlsMode ?? DEFAULT_MTLS_MODE,
    endpoints: ready,
  };
}

function splitProblem(split: TrafficSplit, reason: string, message: string): Problem {
  return { kind: 'TrafficSplit', ...aboutObject(split), reason, message };
}
