import { isRecord, type JsonValue } from '../api/kube-object.js';

const alwaysKept = new Set(['apiVersion', 'kind', 'metadata']);

function preservesUnknown(schema: Record<string, unknown>): boolean {
  return schema['x-kubernetes-preserve-unknown-fields'] === true;
}

function walk(
  schema: unknown,
  value: unknown,
  path: string,
  unknown: string[],
  prune: boolean,
  root: boolean,
): void {
  if (!isRecord(schema)) return;
  if (Array.isArray(value)) {
    value.forEach((item, i) => {
      walk(schema.items, item, `${path}[${i}]`, unknown, prune, false);
    });
    return;
  }
  if (!isRecord(value)) return;
  const embedded = root || schema['x-kubernetes-embedded-resource'] === true;
  const properties = isRecord(schema.properties) ? schema.properties : undefined;
  const additional = schema.additionalProperties;
  for (const key of Object.keys(value)) {
    const at = path === '' ? key : `${path}.${key}`;
    if (embedded && alwaysKept.has(key)) continue;
    if (properties && Object.hasOwn(properties, key)) {
      walk(properties[key], value[key], at, unknown, prune, false);
    } else if (isRecord(additional)) {
      walk(additional, value[key], at, unknown, prune, false);
    } else if (additional === true || preservesUnknown(schema)) {
      // kept as is
    } else {
      unknown.push(at);
      if (prune) delete value[key];
    }
  }
}

/**
 * Fields of a custom resource its structural schema does not declare, as the real server finds them:
 * `apiVersion`, `kind` and `metadata` are always allowed; `x-kubernetes-preserve-unknown-fields` and
 * `additionalProperties` keep the rest. With `prune`, they are also removed from `obj` (in place), which is
 * what the real server does when the client did not ask for strict field validation.
 */
export function unknownCrdFields(schema: unknown, obj: JsonValue, prune: boolean): string[] {
  const unknown: string[] = [];
  if (schema === undefined) return unknown;
  walk(schema, obj, '', unknown, prune, true);
  return unknown;
}
