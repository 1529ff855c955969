/**
 * Inputs → routing snapshot. Each Service's routes are memoised by the identity of the inputs they read, so
 * a change to one Service, its endpoints or a split naming it rebuilds only that Service's routes; the
 * others are reused by reference. Only the final lookup maps are assembled anew, which is cheap.
 */
import type { AccessPolicy } from '../policy/access-policy.js';
import {
  accessPolicyDependencies,
  type CompiledAccessPolicy,
  compileAccessPolicy,
} from '../policy/compile-access-policy.js';
import { hostKeys } from '../snapshot/host.js';
import type { HttpEntrypoint, Problem, Route, Snapshot } from '../snapshot/snapshot.js';
import type { MeshServiceConfig, TopologyInputs } from './inputs.js';
import {
  buildServiceRoutes,
  type ServiceRoutes,
  serviceDependencies,
  splitsByRoot,
} from './service-routes.js';

/** Counts of the last build, to observe incrementality. */
export interface BuildStats {
  readonly rebuiltServices: number;
  readonly reusedServices: number;
}

export interface TopologyBuilder {
  /** Builds the next snapshot; `now` is the build time in ms since the epoch. */
  build(inputs: TopologyInputs, now?: number): Snapshot;
  readonly lastBuild: BuildStats;
  /** Whether the last build compiled the access policy anew (false: reused, no TrafficTarget input changed). */
  readonly accessPolicyRebuilt: boolean;
}

/** A builder with its own memo and version counter, starting after `startVersion`. */
export function createTopologyBuilder(startVersion = 0): TopologyBuilder {
  let memo = new Map<string, ServiceRoutes>();
  let version = startVersion;
  let lastBuild: BuildStats = { rebuiltServices: 0, reusedServices: 0 };
  let accessPolicyRebuilt = false;
  let accessMemo: { dependencies: unknown[]; compiled: CompiledAccessPolicy } | undefined;

  function build(inputs: TopologyInputs, now = Date.now()): Snapshot {
    const byRoot = splitsByRoot(inputs.trafficSplits);
    const nextMemo = new Map<string, ServiceRoutes>();
    let rebuilt = 0;
    let reused = 0;
    const keys = [...inputs.services.keys()].sort();
    for (const key of keys) {
      const service = inputs.services.get(key);
      if (service === undefined) continue;
      const splits = byRoot.get(key);
      const previous = memo.get(key);
      if (
        previous !== undefined &&
        sameItems(previous.dependencies, serviceDependencies(service, splits, inputs))
      ) {
        nextMemo.set(key, previous);
        reused++;
      } else {
        nextMemo.set(key, buildServiceRoutes(service, splits, inputs));
        rebuilt++;
      }
    }
    memo = nextMemo;
    const accessDeps = accessPolicyDependencies(inputs);
    accessPolicyRebuilt = accessMemo === undefined || !sameItems(accessMemo.dependencies, accessDeps);
    if (accessMemo === undefined || accessPolicyRebuilt) {
      accessMemo = { dependencies: accessDeps, compiled: compileAccessPolicy(inputs) };
    }
    lastBuild = { rebuiltServices: rebuilt, reusedServices: reused };
    version++;
    return assemble(inputs, keys, nextMemo, accessMemo.compiled, version, now);
  }

  return {
    build,
    get lastBuild() {
      return lastBuild;
    },
    get accessPolicyRebuilt() {
      return accessPolicyRebuilt;
    },
  };
}

function assemble(
  inputs: TopologyInputs,
  keys: readonly string[],
  perService: ReadonlyMap<string, ServiceRoutes>,
  access: CompiledAccessPolicy,
  version: number,
  now: number,
): Snapshot {
  const http = new Map<number, Map<string, Route>>();
  const tcp = new Map<number, Route>();
  const udp = new Map<number, Route>();
  const problems: Problem[] = [];
  for (const split of inputs.trafficSplits) {
    if (!inputs.services.has(`${split.namespace}/${split.service}`)) {
      problems.push({
        kind: 'TrafficSplit',
        namespace: split.namespace,
        name: split.name,
        reason: 'RootNotFound',
        message: `root Service "${split.service}" does not exist`,
      });
    }
  }
  for (const key of keys) {
    const entry = perService.get(key);
    if (entry === undefined) continue;
    problems.push(...entry.problems);
    const shadow = inputs.services.get(key)?.shadow;
    for (const route of entry.routes) {
      if (route.trafficType === 'http') {
        let hosts = http.get(route.listenerPort);
        if (hosts === undefined) {
          hosts = new Map();
          http.set(route.listenerPort, hosts);
        }
        for (const host of hostKeys(
          route.service.namespace,
          route.service.name,
          inputs.meshDomain,
          shadow?.clusterIPs ?? [],
          route.port,
        )) {
          const taken = hosts.get(host);
          if (taken === undefined) hosts.set(host, route);
          else
            problems.push(
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
          problems.push(
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
  return Object.freeze({
    version,
    builtAt: now,
    meshDomain: inputs.meshDomain,
    http: entrypoints,
    tcp,
    udp,
    services: serviceConfigs(inputs, keys),
    access: access.policy satisfies AccessPolicy,
    problems: Object.freeze(problems),
  });
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

function conflict(route: Route, message: string): Problem {
  return {
    kind: 'Service',
    namespace: route.service.namespace,
    name: route.service.name,
    reason: 'ListenerConflict',
    message,
  };
}

function sameItems(a: readonly unknown[], b: readonly unknown[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
