import type { ResourceMeta } from '../model/resource.js';
import { describeValue } from '../validation/describe.js';
import { expectDns1123Label, expectDns1123Subdomain } from '../validation/dns-names.js';
import {
  type ErrorSink,
  expectObject,
  isObject,
  own,
  type UnknownObject,
} from '../validation/read-fields.js';

/**
 * Reads `metadata` of an object as the API server returns it. Name and namespace are required: SMI
 * resources are namespaced, and the proxy keys everything by namespace/name.
 */
export function readMetadata(
  obj: UnknownObject,
  apiVersion: string,
  errors: ErrorSink,
): ResourceMeta | undefined {
  const metadata = expectObject(own(obj, 'metadata'), 'metadata', errors);
  if (metadata === undefined) return undefined;
  const name = expectDns1123Subdomain(own(metadata, 'name'), 'metadata.name', errors);
  const namespace = expectDns1123Label(own(metadata, 'namespace'), 'metadata.namespace', errors);
  const optional: { resourceVersion?: string; uid?: string; creationTimestamp?: string } = {};
  for (const field of ['resourceVersion', 'uid', 'creationTimestamp'] as const) {
    const value = own(metadata, field);
    if (value === undefined || value === null) continue;
    if (typeof value !== 'string') {
      errors.push({ path: `metadata.${field}`, message: `must be a string, got ${describeValue(value)}` });
    } else if (field === 'creationTimestamp' && Number.isNaN(Date.parse(value))) {
      errors.push({
        path: 'metadata.creationTimestamp',
        message: `must be an RFC 3339 time, got ${describeValue(value)}`,
      });
    } else if (value !== '') {
      optional[field] = value;
    }
  }
  if (name === undefined || namespace === undefined) return undefined;
  return { name, namespace, apiVersion, ...optional };
}

/**
 * Reads the object itself and its `spec`; `undefined` parts have already been reported. `apiVersion` and
 * `kind` may be absent (the caller chose the validator), but when set they must be the validator's own.
 */
export function readEnvelope(
  value: unknown,
  apiVersion: string,
  kind: string,
  errors: ErrorSink,
  options: { specRequired: boolean } = { specRequired: true },
): { meta: ResourceMeta | undefined; spec: UnknownObject | undefined } {
  if (!isObject(value)) {
    errors.push({ path: '', message: `must be an object, got ${describeValue(value)}` });
    return { meta: undefined, spec: undefined };
  }
  for (const [field, expected] of [
    ['apiVersion', apiVersion],
    ['kind', kind],
  ] as const) {
    const actual = own(value, field);
    if (actual !== undefined && actual !== expected) {
      errors.push({ path: field, message: `must be "${expected}" when set, got ${describeValue(actual)}` });
    }
  }
  const meta = readMetadata(value, apiVersion, errors);
  const rawSpec = own(value, 'spec');
  if (!options.specRequired && (rawSpec === undefined || rawSpec === null)) return { meta, spec: {} };
  const spec = expectObject(rawSpec, 'spec', errors);
  return { meta, spec };
}
