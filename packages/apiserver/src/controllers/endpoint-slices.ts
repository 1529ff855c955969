import { createHash } from 'node:crypto';
import {
  getPath,
  isRecord,
  type JsonObject,
  type JsonValue,
  type KubeObject,
  labelsOf,
  stringMap,
} from '../api/kube-object.js';
import { matchesSelectorMap } from '../selectors/label-selector.js';

export const serviceNameLabel = 'kubernetes.io/service-name';
export const managedByLabel = 'endpointslice.kubernetes.io/managed-by';
/** The value the real controller writes; consumers that filter on it behave as on a real cluster. */
export const managedByValue = 'endpointslice-controller.k8s.io';

interface SlicePort {
  name: string;
  port: number;
  protocol: string;
}

function servicePorts(service: KubeObject): JsonObject[] {
  const ports = getPath(service, ['spec', 'ports']);
  return Array.isArray(ports) ? ports.filter(isRecord).map((p) => p as JsonObject) : [];
}

/** The container port a Service port's targetPort names or numbers, for one pod; undefined if unresolved. */
export function resolveTargetPort(servicePort: JsonObject, pod: KubeObject): number | undefined {
  const target = servicePort.targetPort ?? servicePort.port;
  if (typeof target === 'number') return target;
  if (typeof target !== 'string') return undefined;
  if (/^[0-9]+$/.test(target)) return Number(target);
  const protocol = typeof servicePort.protocol === 'string' ? servicePort.protocol : 'TCP';
  const containers = getPath(pod, ['spec', 'containers']);
  if (!Array.isArray(containers)) return undefined;
  for (const container of containers) {
    const ports = getPath(container, ['ports']);
    if (!Array.isArray(ports)) continue;
    for (const p of ports) {
      if (!isRecord(p) || p.name !== target) continue;
      if ((typeof p.protocol === 'string' ? p.protocol : 'TCP') !== protocol) continue;
      if (typeof p.containerPort === 'number') return p.containerPort;
    }
  }
  return undefined;
}

function podReady(pod: KubeObject): boolean {
  const conditions = getPath(pod, ['status', 'conditions']);
  return (
    Array.isArray(conditions) &&
    conditions.some((c) => isRecord(c) && c.type === 'Ready' && c.status === 'True')
  );
}

function podIp(pod: KubeObject): string | undefined {
  const ip = getPath(pod, ['status', 'podIP']);
  return typeof ip === 'string' && ip !== '' ? ip : undefined;
}

function podFinished(pod: KubeObject): boolean {
  const phase = getPath(pod, ['status', 'phase']);
  return phase === 'Succeeded' || phase === 'Failed';
}

function endpointFor(pod: KubeObject): JsonObject {
  const terminating = typeof pod.metadata.deletionTimestamp === 'string';
  const ready = podReady(pod);
  const endpoint: JsonObject = {
    addresses: [podIp(pod) ?? ''],
    conditions: { ready: ready && !terminating, serving: ready, terminating },
    targetRef: {
      kind: 'Pod',
      namespace: pod.metadata.namespace ?? '',
      name: pod.metadata.name ?? '',
      uid: pod.metadata.uid ?? '',
    },
  };
  const nodeName = getPath(pod, ['spec', 'nodeName']);
  if (typeof nodeName === 'string' && nodeName !== '') endpoint.nodeName = nodeName;
  return endpoint;
}

function shortHash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 5);
}

/**
 * The EndpointSlices a Service with a selector should have, given all pods: its pods with an IP (not
 * finished), grouped by the ports they resolve to (a named targetPort can differ per pod), with ready,
 * serving and terminating conditions. A selector-less Service gets none (its slices are the user's). Pure.
 */
export function buildEndpointSlices(service: KubeObject, pods: readonly KubeObject[]): KubeObject[] {
  const selector = stringMap(getPath(service, ['spec', 'selector']));
  if (Object.keys(selector).length === 0 || getPath(service, ['spec', 'type']) === 'ExternalName') return [];
  const namespace = service.metadata.namespace ?? 'default';
  const name = service.metadata.name ?? '';
  const ports = servicePorts(service);
  const groups = new Map<string, { ports: SlicePort[]; endpoints: JsonObject[] }>();
  const members = pods
    .filter((p) => p.metadata.namespace === namespace && matchesSelectorMap(selector, labelsOf(p)))
    .filter((p) => podIp(p) !== undefined && !podFinished(p))
    .sort((a, b) => (a.metadata.name ?? '').localeCompare(b.metadata.name ?? ''));
  for (const pod of members) {
    const resolved: SlicePort[] = [];
    for (const sp of ports) {
      const port = resolveTargetPort(sp, pod);
      if (port === undefined) continue;
      resolved.push({
        name: typeof sp.name === 'string' ? sp.name : '',
        port,
        protocol: typeof sp.protocol === 'string' ? sp.protocol : 'TCP',
      });
    }
    const signature = JSON.stringify(resolved);
    let group = groups.get(signature);
    if (!group) {
      group = { ports: resolved, endpoints: [] };
      groups.set(signature, group);
    }
    group.endpoints.push(endpointFor(pod));
  }
  if (groups.size === 0) groups.set('[]', { ports: [], endpoints: [] });
  return [...groups.entries()].map(([signature, group]) => ({
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: {
      name: `${name.slice(0, 56)}-${shortHash(signature)}`,
      namespace,
      labels: { [serviceNameLabel]: name, [managedByLabel]: managedByValue },
      ownerReferences: [
        {
          apiVersion: 'v1',
          kind: 'Service',
          name,
          uid: service.metadata.uid ?? '',
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
    },
    addressType: 'IPv4',
    endpoints: group.endpoints as JsonValue[],
    ports: group.ports.map((p) => ({ ...p })),
  }));
}

/** Whether a stored slice already says what a desired one says (so no write, no event). */
export function sameSlice(existing: KubeObject, desired: KubeObject): boolean {
  const pick = (o: KubeObject) =>
    JSON.stringify([
      o.addressType,
      o.endpoints ?? [],
      o.ports ?? [],
      o.metadata.labels ?? {},
      o.metadata.ownerReferences ?? [],
    ]);
  return pick(existing) === pick(desired);
}

/**
 * The v1 Endpoints of a Service, derived from its EndpointSlices (one subset per slice): ready endpoints as
 * `addresses`, the rest as `notReadyAddresses`. Kept for clients that still read Endpoints. Pure.
 */
export function endpointsFromSlices(service: KubeObject, slices: readonly KubeObject[]): KubeObject {
  const subsets: JsonObject[] = [];
  for (const slice of slices) {
    const ready: JsonObject[] = [];
    const notReady: JsonObject[] = [];
    for (const endpoint of Array.isArray(slice.endpoints) ? slice.endpoints : []) {
      if (!isRecord(endpoint)) continue;
      const ip = Array.isArray(endpoint.addresses) ? endpoint.addresses[0] : undefined;
      if (typeof ip !== 'string') continue;
      const address: JsonObject = { ip };
      if (typeof endpoint.nodeName === 'string') address.nodeName = endpoint.nodeName;
      if (isRecord(endpoint.targetRef)) address.targetRef = endpoint.targetRef as JsonObject;
      const conditions = isRecord(endpoint.conditions) ? endpoint.conditions : {};
      (conditions.ready === true ? ready : notReady).push(address);
    }
    if (ready.length === 0 && notReady.length === 0) continue;
    const subset: JsonObject = { ports: structuredClone(slice.ports ?? []) as JsonValue };
    if (ready.length > 0) subset.addresses = ready;
    if (notReady.length > 0) subset.notReadyAddresses = notReady;
    subsets.push(subset);
  }
  const endpoints: KubeObject = {
    apiVersion: 'v1',
    kind: 'Endpoints',
    metadata: {
      name: service.metadata.name ?? '',
      namespace: service.metadata.namespace ?? 'default',
      labels: { ...labelsOf(service), 'endpointslice.kubernetes.io/skip-mirror': 'true' },
    },
  };
  if (subsets.length > 0) endpoints.subsets = subsets;
  return endpoints;
}
