/**
 * Informer transforms: what of each object an informer keeps. A component that reads three fields of a Pod
 * need not hold its containers, volumes and managed fields, for every Pod of the cluster. Applied before an
 * object is stored or handed on (`InformerOptions.transform`), like client-go's SetTransform. Pure; never
 * throws; the object's identity (name, namespace, resourceVersion, uid) is always kept.
 */
import { isRecord } from './object-meta.js';

/** Fields to keep: `true` keeps a field whole; a nested selection keeps those fields inside it. */
export interface FieldSelection {
  readonly [field: string]: true | FieldSelection;
}

/** What every informer needs of an object: its key and version (and uid, for Events). */
export const IDENTITY_FIELDS: FieldSelection = {
  metadata: { name: true, namespace: true, resourceVersion: true, uid: true },
};

const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

/**
 * The selected fields of `value`. Where a selection goes deeper than the value does (a string where an
 * object was expected), the value is kept as it is, so a validator still sees what was wrong with it; in a
 * list, the selection applies to each element.
 */
export function keepFields(value: unknown, selection: FieldSelection): unknown {
  if (Array.isArray(value)) return value.map((item) => keepFields(item, selection));
  if (!isRecord(value)) return value;
  const kept: Record<string, unknown> = {};
  for (const [field, inner] of Object.entries(selection)) {
    if (!(field in value)) continue;
    kept[field] = inner === true ? value[field] : keepFields(value[field], inner);
  }
  return kept;
}

/** Two selections as one (fields of both; nested selections merged, `true` wins). */
export function mergeSelections(a: FieldSelection, b: FieldSelection): FieldSelection {
  const merged: Record<string, true | FieldSelection> = { ...a };
  for (const [field, inner] of Object.entries(b)) {
    const before = merged[field];
    merged[field] =
      before === undefined || before === true || inner === true
        ? before === true || inner === true
          ? true
          : inner
        : mergeSelections(before, inner);
  }
  return merged;
}

/** A transform keeping `selection` and the object's identity. */
export function selectFields(
  selection: FieldSelection,
): (obj: Record<string, unknown>) => Record<string, unknown> {
  const all = mergeSelections(IDENTITY_FIELDS, selection);
  return (obj) => keepFields(obj, all) as Record<string, unknown>;
}

/**
 * Everything but what no component reads and what weighs most: `metadata.managedFields` and kubectl's
 * last-applied annotation (a second copy of the object). For resources whose validators read the whole
 * object, so no field list can be given.
 */
export function withoutBookkeeping(obj: Record<string, unknown>): Record<string, unknown> {
  const metadata = obj.metadata;
  if (!isRecord(metadata)) return obj;
  const annotations = metadata.annotations;
  const hasLastApplied = isRecord(annotations) && LAST_APPLIED in annotations;
  if (!('managedFields' in metadata) && !hasLastApplied) return obj;
  const { managedFields: _managed, ...rest } = metadata;
  if (hasLastApplied) {
    const { [LAST_APPLIED]: _lastApplied, ...others } = annotations;
    rest.annotations = others;
  }
  return { ...obj, metadata: rest };
}
