import { badRequest, invalid, type StatusCause } from '../api/api-error.js';
import { asKubeObject, cloneJson, isRecord, type KubeObject } from '../api/kube-object.js';
import { apiVersionOf, type ResourceType } from '../resources/resource-type.js';
import { checkLabelKey, checkLabelValue } from '../selectors/label-selector.js';
import { nameCheckerFor } from './object-names.js';

function qualified(type: ResourceType): string {
  return type.group ? `${type.plural}.${type.group}` : type.plural;
}

/** Narrows a request body to an object of this type, or throws 400 saying what is wrong. Returns a copy. */
export function checkBody(type: ResourceType, namespace: string | undefined, body: unknown): KubeObject {
  const obj = asKubeObject(body);
  if (!obj) throw badRequest(`the body of the request must be a ${type.kind} object with object metadata`);
  const expectedVersion = apiVersionOf(type);
  if (obj.kind !== '' && obj.kind !== type.kind) {
    throw badRequest(
      `the kind of the body (${obj.kind}) does not match the resource ${qualified(type)} (kind ${type.kind})`,
    );
  }
  if (obj.apiVersion !== '' && obj.apiVersion !== expectedVersion) {
    throw badRequest(
      `the apiVersion of the body (${obj.apiVersion}) does not match the request (${expectedVersion})`,
    );
  }
  for (const field of ['name', 'generateName', 'namespace', 'resourceVersion', 'uid'] as const) {
    const value: unknown = obj.metadata[field];
    if (value !== undefined && value !== null && typeof value !== 'string') {
      throw badRequest(`metadata.${field} must be a string, got ${JSON.stringify(value)}`);
    }
    if (value === null) delete obj.metadata[field];
  }
  for (const field of ['labels', 'annotations'] as const) {
    const value: unknown = obj.metadata[field];
    if (value === null) delete obj.metadata[field];
    else if (
      value !== undefined &&
      (!isRecord(value) || Object.values(value).some((v) => typeof v !== 'string'))
    ) {
      throw badRequest(`metadata.${field} must be a map of string keys to string values`);
    }
  }
  obj.apiVersion = expectedVersion;
  obj.kind = type.kind;
  const bodyNs = obj.metadata.namespace;
  if (type.namespaced && typeof bodyNs === 'string' && bodyNs !== '' && namespace && bodyNs !== namespace) {
    throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
  }
  return cloneJson(obj);
}

/** Throws 422 when the name breaks the rule for this resource. */
export function checkName(type: ResourceType, name: string): void {
  const problem = nameCheckerFor(type.plural)(name);
  if (problem) {
    throw invalid(type.kind, type.group, name, [
      { field: 'metadata.name', message: `Invalid value: ${JSON.stringify(name)}: ${problem}` },
    ]);
  }
}

/** All annotations of one object together, keys and values, in bytes: the limit of the real API server. */
export const TOTAL_ANNOTATION_SIZE_LIMIT_BYTES = 256 * 1024;

/** The size the real API server counts: the UTF-8 bytes of every key and value. */
function annotationsSize(annotations: Readonly<Record<string, unknown>>): number {
  let total = 0;
  for (const [key, value] of Object.entries(annotations)) {
    total += Buffer.byteLength(key) + (typeof value === 'string' ? Buffer.byteLength(value) : 0);
  }
  return total;
}

/** Throws 422 listing every bad label, annotation or (for CRDs) schema field. */
export function validateObject(type: ResourceType, obj: KubeObject): void {
  const causes: StatusCause[] = [];
  for (const field of ['labels', 'annotations'] as const) {
    const map = obj.metadata[field];
    if (map === undefined) continue;
    if (!isRecord(map)) {
      causes.push({ field: `metadata.${field}`, message: 'Invalid value: must be a map of strings' });
      continue;
    }
    for (const [k, v] of Object.entries(map)) {
      if (typeof v !== 'string') {
        causes.push({
          field: `metadata.${field}.${k}`,
          message: `Invalid value: ${JSON.stringify(v)}: must be a string`,
        });
        continue;
      }
      // Label keys and values have the same syntax as in selectors; annotation keys only the key syntax.
      const problem = checkLabelKey(k) ?? (field === 'labels' ? checkLabelValue(v) : undefined);
      if (problem)
        causes.push({
          field: `metadata.${field}`,
          message: `Invalid value: ${JSON.stringify(field === 'labels' ? `${k}=${v}` : k)}: ${problem}`,
        });
    }
  }
  const annotations = obj.metadata.annotations;
  if (isRecord(annotations) && annotationsSize(annotations) > TOTAL_ANNOTATION_SIZE_LIMIT_BYTES) {
    causes.push({
      field: 'metadata.annotations',
      reason: 'FieldValueTooLong',
      message: `Too long: may not be more than ${TOTAL_ANNOTATION_SIZE_LIMIT_BYTES} bytes`,
    });
  }
  if (type.validate) causes.push(...type.validate(obj));
  if (causes.length > 0) throw invalid(type.kind, type.group, obj.metadata.name ?? '', causes);
}
