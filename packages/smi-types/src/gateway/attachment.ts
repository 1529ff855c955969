/**
 * How a mesh route attaches and what it may refer to: the rules the node-proxy routes by and the
 * dns-controller reports in status, in one place so the two cannot disagree.
 */
import type { TrafficType } from '../annotations/service-config.js';
import {
  type BackendRef,
  isServiceParent,
  type MeshRoute,
  type ParentRef,
  type ReferenceGrant,
} from './model.js';
import { referencePermitted } from './reference-grant.js';

/** The parentRefs that attach the route to a Service (the others belong to other controllers). */
export function serviceParents(route: MeshRoute): ParentRef[] {
  return route.parentRefs.filter(isServiceParent);
}

/**
 * A producer route lives in its Service's namespace and applies to every caller; a consumer route lives in
 * another namespace and applies only to callers in its own namespace, where it wins over the producer's.
 */
export function isConsumerRoute(route: MeshRoute, parent: ParentRef): boolean {
  return route.meta.namespace !== parent.namespace;
}

/** The traffic type of the Service ports a route kind attaches to. */
export function routeTrafficType(route: MeshRoute): TrafficType {
  return route.kind === 'TCPRoute' ? 'tcp' : 'http';
}

/** Why a backendRef cannot be sent to, as the status reason says it; undefined when it can. */
export type BackendRefProblem = 'InvalidKind' | 'RefNotPermitted' | 'BackendNotFound';

/**
 * Checks one backendRef. A backend in another namespace needs a ReferenceGrant there, except the Service the
 * route is attached to (a consumer route sending on to the Service it is about). `servicePort` says whether
 * the Service exists and has the port (undefined: the port of the parent the request came on).
 */
export function backendRefProblem(
  route: MeshRoute,
  ref: BackendRef,
  grants: readonly ReferenceGrant[],
  serviceHasPort: (namespace: string, name: string, port: number | undefined) => boolean,
): BackendRefProblem | undefined {
  if (ref.group !== '' || ref.kind !== 'Service') return 'InvalidKind';
  const toParent = serviceParents(route).some((p) => p.namespace === ref.namespace && p.name === ref.name);
  if (!toParent && !referencePermitted(grants, route.kind, route.meta.namespace, ref.namespace, ref.name)) {
    return 'RefNotPermitted';
  }
  if (!serviceHasPort(ref.namespace, ref.name, ref.port)) return 'BackendNotFound';
  return undefined;
}

/** Oldest first, then by `namespace/name`: the order the spec gives routes that tie on a match. */
export function compareRouteAge(a: MeshRoute, b: MeshRoute): number {
  if (a.meta.createdAt !== b.meta.createdAt) return a.meta.createdAt - b.meta.createdAt;
  const x = `${a.meta.namespace}/${a.meta.name}`;
  const y = `${b.meta.namespace}/${b.meta.name}`;
  return x < y ? -1 : x > y ? 1 : 0;
}
