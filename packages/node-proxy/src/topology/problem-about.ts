/**
 * Problems name the object they are about, so the Warning Event lands there: a TrafficTarget's problem on the
 * TrafficTarget, a bad match inside an HTTPRouteGroup on the group (whoever references it), never on a
 * Service that happens to share the name.
 */
import type { HTTPRouteGroup } from '@nodemesh/smi-types';
import type { Problem } from '../snapshot/snapshot.js';

/** Namespace, name and (when known) uid of the object a problem is about. */
export function aboutObject(resource: {
  readonly namespace: string;
  readonly name: string;
  readonly uid?: string;
}): Pick<Problem, 'namespace' | 'name' | 'uid'> {
  const { namespace, name, uid } = resource;
  return uid === undefined ? { namespace, name } : { namespace, name, uid };
}

/** A problem inside a route group, reported on the group. */
export function routeGroupProblem(group: HTTPRouteGroup, reason: string, message: string): Problem {
  return { kind: 'HTTPRouteGroup', ...aboutObject(group), reason, message };
}
