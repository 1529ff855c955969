/**
 * Per-Service routes → the snapshot's lookup maps. A full assembly walks every Service in key order; when only
 * some Services were rebuilt and each new route sits exactly where its old one did (same kind, listener port
 * and Host keys, owning all of them), the previous maps are patched instead (Host maps as a ReplacedValuesMap over the old
 * ones), which gives the same snapshot (same entries, same order, same problems) without recomputing or
 * copying every Host key.
 */
import type { AccessPolicy } from '../policy/access-policy.js';
import type { CompiledAccessPolicy } from '../policy/compile-access-policy.js';
import { hostKeys } from '../snapshot/host.js';
import type { HttpEntrypoint, Problem, Route, Snapshot } from '../snapshot/snapshot.js';
import type { MeshServiceConfig, TopologyInputs } from './inputs.js';
import { aboutObject } from './problem-about.js';
import { ReplacedValuesMap } from './replaced-values-map.js';
import type { ServiceRoutes } from './service-routes.js';

/** A snapshot with what the next patch needs: the sorted keys it was built from and where conflicts fell. */
export interface Assembly {
  readonly snapshot: Snapshot;
  readonly keys: readonly string[];
  /** ListenerConflict problems by the key of the Service that lost, in the order they arose. */
  readonly conflicts: ReadonlyMap<string, readonly Problem[]>;
}

/** A Service whose routes were rebuilt: its routes in the previous assembly and now. */
export interface RebuiltService {
  readonly key: string;
  readonly before: ServiceRoutes;
  readonly after: ServiceRoutes;
}

/** Host keys of a route, computed once per route object (a reused route keeps its inputs, so its keys). */
const hostKeysOf = new WeakMap<Route, readonly string[]>();

function routeHostKeys(route: Route, inputs: TopologyInputs, key: string): readonly string[] {
  let keys = hostKeysOf.get(route);
  if (keys === undefined) {
    keys = hostKeys(
      route.service.namespace,
      route.service.name,
      inputs.meshDomain,
      inputs.services.get(key)?.shadow?.clusterIPs ?? [],
      route.port,
    );
    hostKeysOf.set(route, keys);
  }
  return keys;
}

/** Builds every lookup map anew, walking the Services in `keys` order (earlier keys win conflicts). */
export function assembleSnapshot(
  inputs: TopologyInputs,
  keys: readonly string[],
  perService: ReadonlyMap<string, ServiceRoutes>,
  access: CompiledAccessPolicy,
  version: number,
  now: number,
): Assembly {
  const http = new Map<number, Map<string, Route>>();
  const tcp = new Map<number, Route>();
  const udp = new Map<number, Route>();
  const problems: Problem[] = splitProblems(inputs);
  const conflicts = new Map<string, Problem[]>();
  const addConflict = (key: string, problem: Problem): void => {
    problems.push(problem);
    const list = conflicts.get(key);
    if (list === undefined) conflicts.set(key, [problem]);
    else list.push(problem);
  };
  for (const key of keys) {
    const entry = perService.get(key);
    if (entry === undefined) continue;
    problems.push(...entry.problems);
    for (const route of entry.routes) {
      if (route.trafficType === 'http') {
        let hosts = http.get(route.listenerPort);
        if (hosts === undefined) {
          hosts = new Map();
          http.set(route.listenerPort, hosts);
        }
        for (const host of routeHostKeys(route, inputs, key)) {
          const taken = hosts.get(host);
          if (taken === undefined) hosts.set(host, route);
          else
            addConflict(
              key,
              conflict(
                route,
                `Host "${host}" on entrypoint ${route.listenerPort} already routes to ${taken.service.namespace}/${taken.service.name}`,
              ),
            );
        }
      } else {
        const byPort = route.trafficType === 'tcp' ? tcp : udp;
        const taken = byPort.get(route.listenerPort);
        if (taken === undefined) byPort.set(route.listenerPort, route);
        else
          addConflict(
            key,
            conflict(
              route,
              `${route.trafficType.toUpperCase()} port ${route.listenerPort} already routes to ${taken.service.namespace}/${taken.service.name}`,
            ),
          );
      }
    }
  }
  problems.push(...access.problems);
  const entrypoints = new Map<number, HttpEntrypoint>();
  for (const [port, hosts] of http) entrypoints.set(port, { port, hosts });
  const snapshot = freezeSnapshot(inputs, version, now, {
    http: entrypoints,
    tcp,
    udp,
    services: serviceConfigs(inputs, keys),
    access: access.policy,
    problems,
  });
  return { snapshot, keys, conflicts };
}

/**
 * The next assembly from the previous one when the Service keys are the same and only `rebuilt` changed;
 * undefined when a rebuilt Service's routes do not sit exactly where the old ones did (the caller then
 * assembles in full).
 */
export function patchSnapshot(
  previous: Assembly,
  inputs: TopologyInputs,
  perService: ReadonlyMap<string, ServiceRoutes>,
  rebuilt: readonly RebuiltService[],
  access: CompiledAccessPolicy,
  version: number,
  now: number,
): Assembly | undefined {
  const prev = previous.snapshot;
  if (prev.meshDomain !== inputs.meshDomain) return undefined;
  for (const { key, before, after } of rebuilt) {
    if (before.routes.length !== after.routes.length) return undefined;
    for (let i = 0; i < after.routes.length; i++) {
      const old = before.routes[i];
      const next = after.routes[i];
      if (old === undefined || next === undefined) return undefined;
      if (old.trafficType !== next.trafficType || old.listenerPort !== next.listenerPort) return undefined;
      if (next.trafficType === 'http') {
        const hosts = prev.http.get(next.listenerPort)?.hosts;
        const oldKeys = hostKeysOf.get(old);
        const nextKeys = routeHostKeys(next, inputs, key);
        if (hosts === undefined || oldKeys === undefined || !sameStrings(oldKeys, nextKeys)) return undefined;
        for (const host of nextKeys) if (hosts.get(host) !== old) return undefined;
      } else {
        const byPort = next.trafficType === 'tcp' ? prev.tcp : prev.udp;
        if (byPort.get(next.listenerPort) !== old) return undefined;
      }
    }
  }

  // Every rebuilt route takes its old route's entries, in place: same keys, same order.
  const httpHosts = new Map<number, Map<string, Route>>();
  let tcp: Map<number, Route> | undefined;
  let udp: Map<number, Route> | undefined;
  for (const { after } of rebuilt) {
    for (const route of after.routes) {
      if (route.trafficType === 'http') {
        let hosts = httpHosts.get(route.listenerPort);
        if (hosts === undefined) {
          hosts = new Map();
          httpHosts.set(route.listenerPort, hosts);
        }
        for (const host of hostKeysOf.get(route) ?? []) hosts.set(host, route);
      } else if (route.trafficType === 'tcp') {
        tcp ??= new Map(prev.tcp);
        tcp.set(route.listenerPort, route);
      } else {
        udp ??= new Map(prev.udp);
        udp.set(route.listenerPort, route);
      }
    }
  }
  const http = new Map<number, HttpEntrypoint>();
  for (const [port, entry] of prev.http) {
    const replaced = httpHosts.get(port);
    http.set(
      port,
      replaced === undefined ? entry : { port, hosts: ReplacedValuesMap.of(entry.hosts, replaced) },
    );
  }

  let services: Map<string, MeshServiceConfig> | undefined;
  for (const { key } of rebuilt) {
    const config = inputs.services.get(key)?.config;
    if (config === prev.services.get(key)) continue;
    services ??= new Map(prev.services);
    if (config === undefined) services.delete(key);
    else services.set(key, config);
  }
  if (services !== undefined && !sameOrder(services, previous.keys)) {
    services = serviceConfigs(inputs, previous.keys);
  }

  const problems = splitProblems(inputs);
  for (const key of previous.keys) {
    const entry = perService.get(key);
    if (entry === undefined) continue;
    if (entry.problems.length > 0) problems.push(...entry.problems);
    const lost = previous.conflicts.get(key);
    if (lost !== undefined) problems.push(...lost);
  }
  problems.push(...access.problems);

  const snapshot = freezeSnapshot(inputs, version, now, {
    http,
    tcp: tcp ?? prev.tcp,
    udp: udp ?? prev.udp,
    services: services ?? prev.services,
    access: access.policy,
    problems,
  });
  return { snapshot, keys: previous.keys, conflicts: previous.conflicts };
}

function freezeSnapshot(
  inputs: TopologyInputs,
  version: number,
  now: number,
  parts: Pick<Snapshot, 'http' | 'tcp' | 'udp' | 'services' | 'access'> & { problems: Problem[] },
): Snapshot {
  return Object.freeze({
    version,
    builtAt: now,
    meshDomain: inputs.meshDomain,
    http: parts.http,
    tcp: parts.tcp,
    udp: parts.udp,
    services: parts.services,
    access: parts.access satisfies AccessPolicy,
    problems: Object.freeze(parts.problems),
  });
}

/** TrafficSplits whose root Service does not exist. */
function splitProblems(inputs: TopologyInputs): Problem[] {
  const problems: Problem[] = [];
  for (const split of inputs.trafficSplits) {
    if (!inputs.services.has(`${split.namespace}/${split.service}`)) {
      problems.push({
        kind: 'TrafficSplit',
        ...aboutObject(split),
        reason: 'RootNotFound',
        message: `root Service "${split.service}" does not exist`,
      });
    }
  }
  return problems;
}

/** Configs by Service key; the config objects are the inputs' own, so unchanged ones are shared. */
function serviceConfigs(inputs: TopologyInputs, keys: readonly string[]): Map<string, MeshServiceConfig> {
  const configs = new Map<string, MeshServiceConfig>();
  for (const key of keys) {
    const config = inputs.services.get(key)?.config;
    if (config !== undefined) configs.set(key, config);
  }
  return configs;
}

/** Whether the map's keys are `keys` in order, skipping keys it lacks (as `serviceConfigs` would build it). */
function sameOrder(map: ReadonlyMap<string, unknown>, keys: readonly string[]): boolean {
  let i = 0;
  for (const key of map.keys()) {
    while (i < keys.length && keys[i] !== key) i++;
    if (i === keys.length) return false;
    i++;
  }
  return true;
}

function conflict(route: Route, message: string): Problem {
  return {
    kind: 'Service',
    namespace: route.service.namespace,
    name: route.service.name,
    reason: 'ListenerConflict',
    message,
  };
}

function sameStrings(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
