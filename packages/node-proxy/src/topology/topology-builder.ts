/**
 * Inputs → routing snapshot. Each Service's routes are memoised by the identity of the inputs they read, so
 * a change to one Service, its endpoints or a split naming it rebuilds only that Service's routes; the
 * others are reused by reference. The lookup maps are patched where only some Services changed in place, and
 * assembled anew otherwise (snapshot-assembly.ts).
 */

import type { MeshRoute, TrafficSplit } from '@nodemesh/smi-types';
import {
  accessPolicyDependencies,
  type CompiledAccessPolicy,
  compileAccessPolicy,
} from '../policy/compile-access-policy.js';
import type { Snapshot } from '../snapshot/snapshot.js';
import { type MeshServiceInput, objectKey, type TopologyInputs } from './inputs.js';
import { meshRoutesByParent } from './mesh-route-table.js';
import {
  buildServiceRoutes,
  type ServiceRoutes,
  serviceDependencies,
  splitsByRoot,
} from './service-routes.js';
import { type Assembly, assembleSnapshot, patchSnapshot, type RebuiltService } from './snapshot-assembly.js';

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
  let assembly: Assembly | undefined;
  /** The Service keys of the last build in input order, to skip the sort when they did not change. */
  let inputOrder: readonly string[] = [];

  function build(inputs: TopologyInputs, now = Date.now()): Snapshot {
    const byRoot = splitsByRoot(inputs.trafficSplits);
    const byParent = meshRoutesByParent(inputs.meshRoutes ?? []);
    const last = assembly;
    // Cleared until this build completes: a build that throws half way leaves the next one a full assembly.
    assembly = undefined;
    const sameKeys = last !== undefined && sameKeyOrder(inputs.services, inputOrder);
    let keys: readonly string[];
    if (sameKeys && last !== undefined) keys = last.keys;
    else {
      inputOrder = [...inputs.services.keys()];
      keys = [...inputOrder].sort();
    }
    // With the same keys the memo is updated in place; otherwise it is rebuilt so removed Services drop out.
    const nextMemo = sameKeys ? memo : new Map<string, ServiceRoutes>();
    const changed: RebuiltService[] = [];
    let rebuilt = 0;
    let reused = 0;
    for (const key of keys) {
      const service = inputs.services.get(key);
      if (service === undefined) continue;
      const splits = byRoot.get(key);
      const meshRoutes = byParent.get(key);
      const previous = memo.get(key);
      if (previous !== undefined && unchanged(previous, service, splits, inputs, meshRoutes)) {
        if (!sameKeys) nextMemo.set(key, previous);
        reused++;
      } else {
        const next = buildServiceRoutes(service, splits, inputs, meshRoutes);
        nextMemo.set(key, next);
        if (previous !== undefined) changed.push({ key, before: previous, after: next });
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
    const patched =
      sameKeys && last !== undefined && changed.length === rebuilt
        ? patchSnapshot(last, inputs, nextMemo, changed, accessMemo.compiled, version, now)
        : undefined;
    assembly = patched ?? assembleSnapshot(inputs, keys, nextMemo, accessMemo.compiled, version, now);
    return assembly.snapshot;
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

/** Whether a memoised Service's inputs are the same objects as now (no array built for the common case). */
function unchanged(
  previous: ServiceRoutes,
  service: MeshServiceInput,
  splits: readonly TrafficSplit[] | undefined,
  inputs: TopologyInputs,
  meshRoutes: readonly MeshRoute[] | undefined,
): boolean {
  const deps = previous.dependencies;
  if (splits === undefined && meshRoutes === undefined) {
    // What serviceDependencies returns for a Service no split names as its root.
    return (
      deps.length === 3 &&
      deps[0] === inputs.meshDomain &&
      deps[1] === service &&
      deps[2] === inputs.endpoints.get(objectKey(service.namespace, service.name))
    );
  }
  return sameItems(deps, serviceDependencies(service, splits, inputs, meshRoutes));
}

/** Whether the map's keys are `order`, in the same order. */
function sameKeyOrder(map: ReadonlyMap<string, unknown>, order: readonly string[]): boolean {
  if (map.size !== order.length) return false;
  let i = 0;
  for (const key of map.keys()) if (key !== order[i++]) return false;
  return true;
}

function sameItems(a: readonly unknown[], b: readonly unknown[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
