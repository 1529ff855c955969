/** ReferenceGrant (v1beta1 and v1alpha2): who, from which namespace, may refer to what in this one. */
import { expectDns1123Label, expectDns1123Subdomain } from '../validation/dns-names.js';
import { fieldPath } from '../validation/path.js';
import { type ErrorSink, expectList, expectObject, own } from '../validation/read-fields.js';
import { fail, ok, type Result } from '../validation/result.js';
import { optionalString, readGatewayEnvelope } from './fields.js';
import type { ReferenceGrant } from './model.js';

export function validateReferenceGrant(value: unknown, apiVersion: string): Result<ReferenceGrant> {
  const errors: ErrorSink = [];
  const { meta, spec } = readGatewayEnvelope(value, apiVersion, 'ReferenceGrant', errors);
  if (spec === undefined) return fail(errors);
  const from: ReferenceGrant['from'][number][] = [];
  (expectList(own(spec, 'from'), 'spec.from', errors) ?? []).forEach((raw, i) => {
    const path = `spec.from[${i}]`;
    const entry = expectObject(raw, path, errors);
    if (entry === undefined) return;
    const group = optionalString(entry, 'group', path, errors) ?? '';
    const kind = optionalString(entry, 'kind', path, errors);
    const namespace = expectDns1123Label(own(entry, 'namespace'), fieldPath(path, 'namespace'), errors);
    if (kind === undefined) errors.push({ path: fieldPath(path, 'kind'), message: 'is required' });
    else if (namespace !== undefined) from.push({ group, kind, namespace });
  });
  const to: ReferenceGrant['to'][number][] = [];
  (expectList(own(spec, 'to'), 'spec.to', errors) ?? []).forEach((raw, i) => {
    const path = `spec.to[${i}]`;
    const entry = expectObject(raw, path, errors);
    if (entry === undefined) return;
    const group = optionalString(entry, 'group', path, errors) ?? '';
    const kind = optionalString(entry, 'kind', path, errors);
    const rawName = own(entry, 'name');
    const name =
      rawName === undefined || rawName === null
        ? undefined
        : expectDns1123Subdomain(rawName, fieldPath(path, 'name'), errors);
    if (kind === undefined) errors.push({ path: fieldPath(path, 'kind'), message: 'is required' });
    else to.push({ group, kind, name });
  });
  if (errors.length > 0 || meta === undefined) return fail(errors);
  return ok({ kind: 'ReferenceGrant', meta, from, to });
}

/**
 * Whether a `fromKind` route in `fromNamespace` may refer to Service `name` in `toNamespace`, given the
 * ReferenceGrants of `toNamespace`. Same namespace needs no grant.
 */
export function referencePermitted(
  grants: readonly ReferenceGrant[],
  fromKind: string,
  fromNamespace: string,
  toNamespace: string,
  name: string,
): boolean {
  if (fromNamespace === toNamespace) return true;
  return grants.some(
    (grant) =>
      grant.meta.namespace === toNamespace &&
      grant.from.some(
        (f) =>
          f.group === 'gateway.networking.k8s.io' && f.kind === fromKind && f.namespace === fromNamespace,
      ) &&
      grant.to.some(
        (t) => t.group === '' && t.kind === 'Service' && (t.name === undefined || t.name === name),
      ),
  );
}
