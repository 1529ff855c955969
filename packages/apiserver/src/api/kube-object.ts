/** A JSON value as it travels over the Kubernetes API. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** A JSON object; every Kubernetes resource body is one. */
export type JsonObject = { [key: string]: JsonValue };

/** The metadata fields the server reads or writes; everything else passes through untouched. */
export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  [key: string]: JsonValue | undefined;
}

/** Any Kubernetes object: a JSON record with apiVersion, kind and metadata. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  [key: string]: JsonValue | ObjectMeta | undefined;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function isJsonObject(value: unknown): value is JsonObject {
  return isRecord(value);
}

/** Deep copy through JSON: objects in the store are never shared with callers. */
export function cloneJson<T>(value: T): T {
  return structuredClone(value);
}

/** Reads a nested field by dotted path (`spec.nodeName`), or undefined. */
export function getPath(value: unknown, path: readonly string[]): unknown {
  let current: unknown = value;
  for (const key of path) {
    if (!isRecord(current)) return undefined;
    current = current[key];
  }
  return current;
}

/** Narrows an unknown body to a KubeObject shape (metadata coerced to an object), or undefined. */
export function asKubeObject(value: unknown): KubeObject | undefined {
  if (!isRecord(value)) return undefined;
  const metadata = value.metadata === undefined ? {} : value.metadata;
  if (!isRecord(metadata)) return undefined;
  const apiVersion = typeof value.apiVersion === 'string' ? value.apiVersion : '';
  const kind = typeof value.kind === 'string' ? value.kind : '';
  return { ...(value as JsonObject), apiVersion, kind, metadata: metadata as ObjectMeta };
}

/** The string-valued map at `metadata.labels` (non-string values are ignored). */
export function labelsOf(obj: KubeObject): Record<string, string> {
  return stringMap(obj.metadata.labels);
}

export function stringMap(value: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!isRecord(value)) return out;
  for (const [k, v] of Object.entries(value)) if (typeof v === 'string') out[k] = v;
  return out;
}

export function objectKey(namespace: string | undefined, name: string): string {
  return namespace ? `${namespace}/${name}` : name;
}
