/**
 * What each mesh route's status should say (pure): for every parentRef naming a Service, the conditions
 * `Accepted` and `ResolvedRefs` with the reasons of the Gateway API, so `kubectl get httproute -o yaml` tells a
 * user why a route does nothing. Inputs are the parsed routes, the Services (their ports and traffic types)
 * and the ReferenceGrants; the same attachment rules as the node-proxy's (smi-types `gateway/attachment`).
 */
import {
  type BackendRefProblem,
  backendRefProblem,
  type MeshRoute,
  type ParentRef,
  type ReferenceGrant,
  routeTrafficType,
  serviceParents,
  type TrafficType,
} from '@nodemesh/smi-types';

/** The controller name Nodemesh writes in `status.parents[].controllerName`. */
export const MESH_CONTROLLER_NAME = 'nodemesh.io/mesh-controller';

/** A Service as status needs it: its ports and the traffic type the mesh gives it. */
export interface ServiceView {
  readonly ports: readonly { readonly port: number; readonly protocol: string }[];
  readonly trafficType: TrafficType;
}

export interface Condition {
  readonly type: 'Accepted' | 'ResolvedRefs';
  readonly status: 'True' | 'False';
  readonly reason: string;
  readonly message: string;
  readonly observedGeneration: number;
}

/** The parentRef as status echoes it: as written (namespace only when given). */
export interface StatusParentRef {
  readonly group: string;
  readonly kind: string;
  readonly namespace?: string;
  readonly name: string;
  readonly port?: number;
  readonly sectionName?: string;
}

export interface ParentStatus {
  readonly parentRef: StatusParentRef;
  readonly controllerName: string;
  readonly conditions: readonly Condition[];
}

export interface RouteStatusInputs {
  readonly services: ReadonlyMap<string, ServiceView>;
  readonly grants: readonly ReferenceGrant[];
}

/** Our entries of `status.parents` for one route, one per Service parentRef. */
export function routeParentStatuses(route: MeshRoute, inputs: RouteStatusInputs): ParentStatus[] {
  const resolved = resolvedRefs(route, inputs);
  return serviceParents(route).map((parent) => ({
    parentRef: echoRef(parent),
    controllerName: MESH_CONTROLLER_NAME,
    conditions: [accepted(route, parent, inputs), resolved],
  }));
}

function echoRef(parent: ParentRef): StatusParentRef {
  return {
    group: parent.group,
    kind: parent.kind,
    ...(parent.namespaceGiven ? { namespace: parent.namespace } : {}),
    name: parent.name,
    ...(parent.port === undefined ? {} : { port: parent.port }),
    ...(parent.sectionName === undefined ? {} : { sectionName: parent.sectionName }),
  };
}

function accepted(route: MeshRoute, parent: ParentRef, inputs: RouteStatusInputs): Condition {
  const generation = route.meta.generation;
  const no = (reason: string, message: string): Condition => ({
    type: 'Accepted',
    status: 'False',
    reason,
    message,
    observedGeneration: generation,
  });
  const service = inputs.services.get(`${parent.namespace}/${parent.name}`);
  if (service === undefined)
    return no('NoMatchingParent', `Service ${parent.namespace}/${parent.name} does not exist`);
  if (parent.sectionName !== undefined) {
    return no('UnsupportedValue', 'sectionName is not supported on a Service parent; use port');
  }
  const wanted = routeTrafficType(route);
  const ports = service.ports.filter(
    (p) => p.protocol === 'TCP' && (parent.port === undefined || p.port === parent.port),
  );
  if (ports.length === 0) {
    return no(
      'NoMatchingParent',
      `Service ${parent.namespace}/${parent.name} has no TCP port ${parent.port ?? ''}`.trim(),
    );
  }
  if (service.trafficType !== wanted) {
    return no(
      'NoMatchingParent',
      `Service ${parent.namespace}/${parent.name} carries ${service.trafficType} traffic (nodemesh.io/traffic-type); a ${route.kind} needs ${wanted}`,
    );
  }
  const unsupported = unsupportedParts(route);
  if (unsupported.length > 0) {
    return no(
      'UnsupportedValue',
      `${unsupported.join('; ')}: requests matching those rules get 500, the other rules apply`,
    );
  }
  return {
    type: 'Accepted',
    status: 'True',
    reason: 'Accepted',
    message: 'attached to the Service',
    observedGeneration: generation,
  };
}

function unsupportedParts(route: MeshRoute): string[] {
  if (route.kind === 'TCPRoute') return [];
  const parts: string[] = [];
  route.rules.forEach((rule, i) => {
    for (const filter of rule.filters) {
      if (filter.type === 'Unsupported')
        parts.push(`rule ${rule.name ?? i}: filter ${filter.name} is not supported`);
    }
    const backendFilter = rule.backends.flatMap((b) => b.filters).find((f) => f.type === 'Unsupported');
    if (backendFilter?.type === 'Unsupported') {
      parts.push(`rule ${rule.name ?? i}: backendRefs filter ${backendFilter.name} is not supported`);
    }
  });
  return parts;
}

/** Reasons in the order they are reported when several backends fail differently. */
const PROBLEM_ORDER: readonly BackendRefProblem[] = ['InvalidKind', 'RefNotPermitted', 'BackendNotFound'];

function resolvedRefs(route: MeshRoute, inputs: RouteStatusInputs): Condition {
  const hasPort = (namespace: string, name: string, port: number | undefined) => {
    const service = inputs.services.get(`${namespace}/${name}`);
    return service !== undefined && (port === undefined || service.ports.some((p) => p.port === port));
  };
  const found: { problem: BackendRefProblem; text: string }[] = [];
  const rules: readonly { readonly backends: MeshRoute['rules'][number]['backends'] }[] = route.rules;
  for (const rule of rules) {
    for (const ref of rule.backends) {
      const problem = backendRefProblem(route, ref, inputs.grants, hasPort);
      if (problem === undefined) continue;
      const target = `${ref.kind} ${ref.namespace}/${ref.name}${ref.port === undefined ? '' : `:${ref.port}`}`;
      const why =
        problem === 'InvalidKind'
          ? 'is not a Service'
          : problem === 'RefNotPermitted'
            ? `is in another namespace and no ReferenceGrant there allows ${route.kind}s from ${route.meta.namespace}`
            : 'does not exist or has no such port';
      found.push({ problem, text: `${target} ${why}` });
    }
  }
  const generation = route.meta.generation;
  if (found.length === 0) {
    return {
      type: 'ResolvedRefs',
      status: 'True',
      reason: 'ResolvedRefs',
      message: 'every backendRef resolved',
      observedGeneration: generation,
    };
  }
  const reason = PROBLEM_ORDER.find((p) => found.some((f) => f.problem === p)) ?? 'BackendNotFound';
  return {
    type: 'ResolvedRefs',
    status: 'False',
    reason,
    message: `${found.map((f) => f.text).join('; ')}; requests sent there get 500`,
    observedGeneration: generation,
  };
}
