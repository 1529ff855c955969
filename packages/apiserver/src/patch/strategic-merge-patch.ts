import { isRecord, type JsonValue } from '../api/kube-object.js';
import type { PatchResult } from './json-patch.js';

/**
 * Merge keys of the lists kubectl's client-side apply touches, by field name. The real server reads them from
 * the Go types per path; by name is close enough for the built-in kinds served here. A list not named here is
 * replaced whole, as in a merge patch.
 */
const mergeKeyByField: Record<string, string | ((element: Record<string, unknown>) => string)> = {
  containers: 'name',
  initContainers: 'name',
  ephemeralContainers: 'name',
  volumes: 'name',
  env: 'name',
  imagePullSecrets: 'name',
  volumeMounts: 'mountPath',
  volumeDevices: 'devicePath',
  hostAliases: 'ip',
  conditions: 'type',
  ownerReferences: 'uid',
  topologySpreadConstraints: 'topologyKey',
  // Container ports merge on containerPort; Service and EndpointSlice ports on port.
  ports: (element) => ('containerPort' in element ? 'containerPort' : 'port'),
};

/** Lists of scalars that merge as sets rather than being replaced. */
const mergedPrimitiveLists = new Set(['finalizers']);

type JsonMap = { [key: string]: JsonValue };

/** The merge key of a list element under `field`, or undefined when that list is replaced whole. */
export function keyFor(field: string, element: Record<string, unknown>): string | undefined {
  const rule = mergeKeyByField[field];
  if (rule === undefined) return undefined;
  return typeof rule === 'string' ? rule : rule(element);
}

function sameKey(a: unknown, b: unknown, key: string): boolean {
  return (
    isRecord(a) && isRecord(b) && a[key] !== undefined && JSON.stringify(a[key]) === JSON.stringify(b[key])
  );
}

function mergeList(field: string, original: JsonValue | undefined, patch: JsonValue[]): JsonValue[] {
  const base = Array.isArray(original) ? structuredClone(original) : [];
  // {$patch: replace} inside a list: the rest of the patch list replaces the original.
  if (patch.some((e) => isRecord(e) && e.$patch === 'replace')) {
    return patch.filter((e) => !(isRecord(e) && e.$patch === 'replace')).map((e) => stripDirectives(e));
  }
  if (patch.every((e) => !isRecord(e))) {
    if (!mergedPrimitiveLists.has(field)) return structuredClone(patch);
    const out = [...base];
    for (const v of patch) if (!out.some((o) => JSON.stringify(o) === JSON.stringify(v))) out.push(v);
    return out;
  }
  const first = patch.find((e): e is JsonMap => isRecord(e));
  const key = first ? keyFor(field, first) : undefined;
  if (key === undefined) return patch.map((e) => stripDirectives(e));
  for (const element of patch) {
    if (!isRecord(element)) continue;
    const index = base.findIndex((o) => sameKey(o, element, key));
    if (element.$patch === 'delete') {
      if (index >= 0) base.splice(index, 1);
      continue;
    }
    if (index >= 0) base[index] = mergeValue(field, base[index], element);
    else base.push(stripDirectives(element));
  }
  return base;
}

function stripDirectives(value: JsonValue): JsonValue {
  if (Array.isArray(value)) return value.map(stripDirectives);
  if (!isRecord(value)) return value;
  const out: JsonMap = {};
  for (const [k, v] of Object.entries(value as JsonMap)) {
    if (k.startsWith('$')) continue;
    if (v === null) continue;
    out[k] = stripDirectives(v);
  }
  return out;
}

function reorder(list: JsonValue[], order: JsonValue[], key: string | undefined): JsonValue[] {
  const position = (e: JsonValue): number => {
    const i = order.findIndex((o) =>
      key === undefined ? JSON.stringify(o) === JSON.stringify(e) : sameKey(o, e, key),
    );
    return i < 0 ? order.length : i;
  };
  return list
    .map((e, i) => ({ e, i, p: position(e) }))
    .sort((a, b) => a.p - b.p || a.i - b.i)
    .map((x) => x.e);
}

function mergeMap(original: JsonValue | undefined, patch: JsonMap): JsonValue {
  if (patch.$patch === 'replace') return stripDirectives(patch);
  const out: JsonMap = isRecord(original) ? (structuredClone(original) as JsonMap) : {};
  for (const [field, value] of Object.entries(patch)) {
    if (field.startsWith('$')) continue;
    if (value === null) {
      delete out[field];
      continue;
    }
    if (isRecord(value) && value.$patch === 'delete') {
      delete out[field];
      continue;
    }
    out[field] = mergeValue(field, out[field], value);
  }
  for (const [directive, value] of Object.entries(patch)) {
    if (directive.startsWith('$deleteFromPrimitiveList/') && Array.isArray(value)) {
      const field = directive.slice('$deleteFromPrimitiveList/'.length);
      const list = out[field];
      if (Array.isArray(list)) {
        out[field] = list.filter((v) => !value.some((d) => JSON.stringify(d) === JSON.stringify(v)));
      }
    }
  }
  for (const [directive, value] of Object.entries(patch)) {
    if (directive.startsWith('$setElementOrder/') && Array.isArray(value)) {
      const field = directive.slice('$setElementOrder/'.length);
      const list = out[field];
      if (Array.isArray(list)) {
        const sample = value.find((e): e is JsonMap => isRecord(e));
        out[field] = reorder(list, value, sample ? keyFor(field, sample) : undefined);
      }
    }
  }
  const retain = patch.$retainKeys;
  if (Array.isArray(retain)) {
    for (const k of Object.keys(out)) if (!retain.includes(k)) delete out[k];
  }
  return out;
}

function mergeValue(field: string, original: JsonValue | undefined, patch: JsonValue): JsonValue {
  if (Array.isArray(patch)) return mergeList(field, original, patch);
  if (isRecord(patch)) return mergeMap(original, patch as JsonMap);
  return patch;
}

/**
 * Applies a strategic merge patch as kubectl sends it: maps merge, `null` deletes, lists of known kinds merge
 * on their key (containers by name, ports by containerPort or port, ...), and the `$patch`, `$retainKeys`,
 * `$setElementOrder/` and `$deleteFromPrimitiveList/` directives are honoured. Pure.
 */
export function applyStrategicMergePatch(target: unknown, patch: unknown): PatchResult {
  if (!isRecord(patch)) return { ok: false, error: 'a strategic merge patch must be a JSON object' };
  return { ok: true, value: mergeMap(structuredClone(target) as JsonValue, patch as JsonMap) };
}
