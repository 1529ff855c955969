import { isRecord, type JsonValue, type KubeObject } from '../api/kube-object.js';
import { keyFor } from './strategic-merge-patch.js';

/** The set of fields an apply names, in the `FieldsV1` shape of managedFields (`f:spec`, `k:{"port":80}`). */
export type FieldSet = { [key: string]: FieldSet };

const identity = new Set(['f:apiVersion', 'f:kind']);
const identityMeta = new Set([
  'f:name',
  'f:namespace',
  'f:resourceVersion',
  'f:uid',
  'f:managedFields',
  'f:generation',
  'f:creationTimestamp',
]);

function elementKey(field: string, element: JsonValue): string | undefined {
  if (!isRecord(element)) return undefined;
  const key = keyFor(field, element);
  if (key === undefined || element[key] === undefined) return undefined;
  return `k:${JSON.stringify({ [key]: element[key] })}`;
}

function childSet(field: string, value: JsonValue): FieldSet {
  if (Array.isArray(value)) {
    const out: FieldSet = {};
    for (const element of value) {
      const k = elementKey(field, element);
      if (k !== undefined) out[k] = fieldSetOf(element);
    }
    return out;
  }
  return isRecord(value) ? fieldSetOf(value) : {};
}

/** The fields an applied configuration sets. Pure. */
export function fieldSetOf(value: JsonValue, top = false): FieldSet {
  const out: FieldSet = {};
  if (!isRecord(value)) return out;
  for (const [k, v] of Object.entries(value as { [key: string]: JsonValue })) {
    if (v === null) continue;
    const name = `f:${k}`;
    if (top && identity.has(name)) continue;
    const child = childSet(k, v);
    if (top && k === 'metadata') for (const skip of identityMeta) delete child[skip];
    out[name] = child;
  }
  return out;
}

/**
 * Removes from `live` the fields a manager applied before (`previous`) but no longer applies (`next`):
 * the part of server-side apply that makes "delete a line and re-apply" delete the field. Pure.
 */
export function removeDroppedFields(live: JsonValue, previous: FieldSet, next: FieldSet): JsonValue {
  if (!isRecord(live)) return live;
  const out = structuredClone(live) as { [key: string]: JsonValue };
  for (const [pk, psub] of Object.entries(previous)) {
    if (!pk.startsWith('f:')) continue;
    const name = pk.slice(2);
    const nsub = next[pk];
    if (nsub === undefined) {
      delete out[name];
      continue;
    }
    const child = out[name];
    if (Array.isArray(child)) {
      const kept: JsonValue[] = [];
      for (const element of child) {
        const k = elementKey(name, element);
        const before = k === undefined ? undefined : psub[k];
        const after = k === undefined ? undefined : nsub[k];
        if (before !== undefined && after === undefined) continue;
        kept.push(
          before !== undefined && after !== undefined ? removeDroppedFields(element, before, after) : element,
        );
      }
      out[name] = kept;
    } else if (isRecord(child)) {
      out[name] = removeDroppedFields(child, psub, nsub);
    }
  }
  return out;
}

/**
 * The fields a manager applied last time: its Apply entry in managedFields, or, for kubectl moving from
 * client-side to server-side apply, the last-applied-configuration annotation (kubectl migrates that
 * ownership the same way on a real server).
 */
export function previousAppliedFields(current: KubeObject, fieldManager: string): FieldSet {
  const entries = Array.isArray(current.metadata.managedFields) ? current.metadata.managedFields : [];
  const mine = entries.find((m) => isRecord(m) && m.manager === fieldManager && m.operation === 'Apply');
  if (isRecord(mine) && isRecord(mine.fieldsV1)) return mine.fieldsV1 as unknown as FieldSet;
  const annotation = current.metadata.annotations?.['kubectl.kubernetes.io/last-applied-configuration'];
  if (fieldManager === 'kubectl' && typeof annotation === 'string') {
    try {
      return fieldSetOf(JSON.parse(annotation) as JsonValue, true);
    } catch {
      return {};
    }
  }
  return {};
}
