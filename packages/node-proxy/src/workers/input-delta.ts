/**
 * The builder's inputs as changes, for the primary to send its workers (pure). The topology builder reuses
 * what it built for every input object that is the same object as last time; objects that cross a process
 * boundary are copies, so sending the whole inputs would make every worker rebuild everything. The primary
 * sends only the entries whose object changed (by identity) and the keys that went away; a worker applies
 * them to its own previous inputs, so its unchanged entries keep their identity and its builds stay
 * incremental.
 */
import type {
  HTTPRouteGroup,
  MeshRoute,
  ReferenceGrant,
  TCPRoute,
  TrafficSplit,
  TrafficTarget,
  UDPRoute,
} from '@nodemesh/smi-types';
import type { EndpointInput, MeshServiceInput, TopologyInputs } from '../topology/inputs.js';

/** Entries set (added or replaced) and keys removed. */
export interface MapDelta<T> {
  readonly set: readonly (readonly [string, T])[];
  readonly removed: readonly string[];
}

/** A list of named objects: the keys in their new order, and the objects that changed. */
export interface ListDelta<T> {
  readonly keys: readonly string[];
  readonly set: readonly (readonly [string, T])[];
}

/** What changed; a missing field did not change. */
export interface InputDelta {
  readonly meshDomain?: string;
  readonly services?: MapDelta<MeshServiceInput>;
  readonly endpoints?: MapDelta<readonly EndpointInput[]>;
  readonly httpRouteGroups?: MapDelta<HTTPRouteGroup>;
  readonly tcpRoutes?: MapDelta<TCPRoute>;
  readonly udpRoutes?: MapDelta<UDPRoute>;
  readonly trafficSplits?: ListDelta<TrafficSplit>;
  readonly trafficTargets?: ListDelta<TrafficTarget>;
  readonly meshRoutes?: ListDelta<MeshRoute>;
  readonly referenceGrants?: ListDelta<ReferenceGrant>;
}

const EMPTY_MAP: ReadonlyMap<string, never> = new Map<string, never>();

/** The changes from `before` (undefined: nothing yet) to `after`. */
export function diffInputs(before: TopologyInputs | undefined, after: TopologyInputs): InputDelta {
  const delta: {
    -readonly [K in keyof InputDelta]: InputDelta[K];
  } = {};
  if (before?.meshDomain !== after.meshDomain) delta.meshDomain = after.meshDomain;
  delta.services = diffMap(before?.services, after.services);
  delta.endpoints = diffMap(before?.endpoints, after.endpoints);
  delta.httpRouteGroups = diffMap(before?.httpRouteGroups, after.httpRouteGroups);
  delta.tcpRoutes = diffMap(before?.tcpRoutes, after.tcpRoutes ?? EMPTY_MAP);
  delta.udpRoutes = diffMap(before?.udpRoutes, after.udpRoutes ?? EMPTY_MAP);
  delta.trafficSplits = diffList(before?.trafficSplits, after.trafficSplits, keyOf);
  delta.trafficTargets = diffList(before?.trafficTargets, after.trafficTargets ?? [], keyOf);
  delta.meshRoutes = diffList(before?.meshRoutes, after.meshRoutes ?? [], routeKey);
  delta.referenceGrants = diffList(before?.referenceGrants, after.referenceGrants ?? [], grantKey);
  for (const key of Object.keys(delta) as (keyof InputDelta)[]) {
    if (delta[key] === undefined) delete delta[key];
  }
  return delta;
}

/** `before` with the changes applied; entries that did not change are `before`'s own objects. */
export function applyDelta(before: TopologyInputs | undefined, delta: InputDelta): TopologyInputs {
  return {
    meshDomain: delta.meshDomain ?? before?.meshDomain ?? 'mesh',
    services: applyMap(before?.services, delta.services),
    endpoints: applyMap(before?.endpoints, delta.endpoints),
    httpRouteGroups: applyMap(before?.httpRouteGroups, delta.httpRouteGroups),
    tcpRoutes: applyMap(before?.tcpRoutes, delta.tcpRoutes),
    udpRoutes: applyMap(before?.udpRoutes, delta.udpRoutes),
    trafficSplits: applyList(before?.trafficSplits, delta.trafficSplits, keyOf),
    trafficTargets: applyList(before?.trafficTargets, delta.trafficTargets, keyOf),
    meshRoutes: applyList(before?.meshRoutes, delta.meshRoutes, routeKey),
    referenceGrants: applyList(before?.referenceGrants, delta.referenceGrants, grantKey),
  };
}

/** Whether a delta changes nothing. */
export function isEmptyDelta(delta: InputDelta): boolean {
  return Object.keys(delta).length === 0;
}

function diffMap<T>(
  before: ReadonlyMap<string, T> | undefined,
  after: ReadonlyMap<string, T>,
): MapDelta<T> | undefined {
  const set: [string, T][] = [];
  const removed: string[] = [];
  for (const [key, value] of after) if (before?.get(key) !== value) set.push([key, value]);
  for (const key of before?.keys() ?? []) if (!after.has(key)) removed.push(key);
  return set.length === 0 && removed.length === 0 ? undefined : { set, removed };
}

function applyMap<T>(
  before: ReadonlyMap<string, T> | undefined,
  delta: MapDelta<T> | undefined,
): ReadonlyMap<string, T> {
  if (delta === undefined) return before ?? new Map();
  const next = new Map(before);
  for (const key of delta.removed) next.delete(key);
  for (const [key, value] of delta.set) next.set(key, value);
  return next;
}

function keyOf(item: { readonly namespace: string; readonly name: string }): string {
  return `${item.namespace}/${item.name}`;
}

/** An HTTPRoute and a GRPCRoute may share a name: the kind is part of a mesh route's key. */
function routeKey(route: MeshRoute): string {
  return `${route.kind}/${route.meta.namespace}/${route.meta.name}`;
}

function grantKey(grant: ReferenceGrant): string {
  return `${grant.meta.namespace}/${grant.meta.name}`;
}

function diffList<T>(
  before: readonly T[] | undefined,
  after: readonly T[],
  keyOf: (item: T) => string,
): ListDelta<T> | undefined {
  if (before === after) return undefined;
  const old = before ?? [];
  const previous = new Map(old.map((item) => [keyOf(item), item]));
  const keys = after.map(keyOf);
  const set = after
    .filter((item) => previous.get(keyOf(item)) !== item)
    .map((item) => [keyOf(item), item] as const);
  const sameOrder = old.length === after.length && old.every((item, i) => keyOf(item) === keys[i]);
  return set.length === 0 && sameOrder ? undefined : { keys, set };
}

function applyList<T>(
  before: readonly T[] | undefined,
  delta: ListDelta<T> | undefined,
  keyOf: (item: T) => string,
): readonly T[] {
  if (delta === undefined) return before ?? [];
  const byKey = new Map((before ?? []).map((item) => [keyOf(item), item]));
  for (const [key, item] of delta.set) byKey.set(key, item);
  return delta.keys.flatMap((key) => {
    const item = byKey.get(key);
    return item === undefined ? [] : [item];
  });
}
