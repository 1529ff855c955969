/**
 * Whether an existing shadow Service differs from the desired one in a field the mesh owns, and the object to
 * PUT to fix it. Fields the API server or others own (clusterIP, other labels, status) are kept. The
 * ServiceAccounts annotation is the mesh's whether or not it is wanted: a Service that lost its selector has
 * it removed.
 */
import { SHADOW_ANNOTATION_SERVICE_ACCOUNTS, type ShadowServiceManifest } from '@nodemesh/smi-types';

type Json = Record<string, unknown>;

const asRecord = (value: unknown): Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : {};

/** The ports as compared: name, protocol (TCP when absent, as the API server defaults it), port, targetPort. */
function portKey(value: unknown): string {
  const port = asRecord(value);
  return JSON.stringify([port.name ?? '', port.protocol ?? 'TCP', port.port, port.targetPort]);
}

function sameMap(actual: unknown, wanted: Readonly<Record<string, string>>, exact: boolean): boolean {
  const map = asRecord(actual);
  if (exact && Object.keys(map).length !== Object.keys(wanted).length) return false;
  return Object.entries(wanted).every(([key, value]) => map[key] === value);
}

/** True when a field the mesh owns differs (labels and annotations: only the mesh's own keys count). */
export function shadowDiffers(current: unknown, desired: ShadowServiceManifest): boolean {
  const metadata = asRecord(asRecord(current).metadata);
  const spec = asRecord(asRecord(current).spec);
  const ports = Array.isArray(spec.ports) ? spec.ports : [];
  return !(
    sameMap(metadata.labels, desired.metadata.labels, false) &&
    sameMap(metadata.annotations, desired.metadata.annotations, false) &&
    (SHADOW_ANNOTATION_SERVICE_ACCOUNTS in desired.metadata.annotations ||
      !(SHADOW_ANNOTATION_SERVICE_ACCOUNTS in asRecord(metadata.annotations))) &&
    (spec.type ?? 'ClusterIP') === desired.spec.type &&
    sameMap(spec.selector, desired.spec.selector, true) &&
    spec.internalTrafficPolicy === desired.spec.internalTrafficPolicy &&
    ports.length === desired.spec.ports.length &&
    ports.every((port, i) => portKey(port) === portKey(desired.spec.ports[i]))
  );
}

/** The current object with the desired fields laid over it; keeps resourceVersion so a race is a 409. */
export function shadowUpdateBody(current: unknown, desired: ShadowServiceManifest): Json {
  const object = asRecord(current);
  const metadata = asRecord(object.metadata);
  const spec = asRecord(object.spec);
  const annotations = { ...asRecord(metadata.annotations), ...desired.metadata.annotations };
  if (!(SHADOW_ANNOTATION_SERVICE_ACCOUNTS in desired.metadata.annotations)) {
    delete annotations[SHADOW_ANNOTATION_SERVICE_ACCOUNTS];
  }
  return {
    ...object,
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      ...metadata,
      labels: { ...asRecord(metadata.labels), ...desired.metadata.labels },
      annotations,
    },
    spec: {
      ...spec,
      type: desired.spec.type,
      selector: { ...desired.spec.selector },
      internalTrafficPolicy: desired.spec.internalTrafficPolicy,
      ports: desired.spec.ports.map((port) => ({ ...port })),
    },
  };
}
