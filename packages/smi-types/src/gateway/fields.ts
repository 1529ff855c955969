/**
 * Readers shared by the Gateway API validators: metadata, parentRefs, backendRefs, durations, header names.
 * Each reports what is wrong at its path and returns undefined, so a validator reports every problem.
 */
import { readEnvelope } from '../smi/metadata.js';
import { describeValue } from '../validation/describe.js';
import { expectDns1123Label, expectDns1123Subdomain } from '../validation/dns-names.js';
import { expectPort, MAX_INT32 } from '../validation/numbers.js';
import { fieldPath } from '../validation/path.js';
import {
  type ErrorSink,
  expectObject,
  isObject,
  optionalList,
  own,
  type UnknownObject,
} from '../validation/read-fields.js';
import type { BackendRef, GatewayObjectMeta, ParentRef, RouteFilter } from './model.js';

export const GATEWAY_GROUP = 'gateway.networking.k8s.io';

/** Reads the object, its metadata (with generation and creation time) and its spec. */
export function readGatewayEnvelope(
  value: unknown,
  apiVersion: string,
  kind: string,
  errors: ErrorSink,
): { meta: GatewayObjectMeta | undefined; spec: UnknownObject | undefined } {
  const { meta, spec } = readEnvelope(value, apiVersion, kind, errors);
  if (meta === undefined || !isObject(value)) return { meta: undefined, spec };
  const metadata = own(value, 'metadata') as UnknownObject;
  const generation = own(metadata, 'generation');
  const created = own(metadata, 'creationTimestamp');
  const createdAt = typeof created === 'string' ? Date.parse(created) : Number.NaN;
  return {
    meta: {
      ...meta,
      generation: typeof generation === 'number' && Number.isSafeInteger(generation) ? generation : 0,
      createdAt: Number.isFinite(createdAt) ? createdAt : 0,
    },
    spec,
  };
}

/** An optional string field; `undefined` when absent. */
export function optionalString(obj: UnknownObject, key: string, path: string, errors: ErrorSink) {
  const value = own(obj, key);
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') {
    errors.push({ path: fieldPath(path, key), message: `must be a string, got ${describeValue(value)}` });
    return undefined;
  }
  return value;
}

/** An optional string that must be one of `allowed`; `fallback` when absent. */
export function optionalEnum<T extends string>(
  obj: UnknownObject,
  key: string,
  path: string,
  allowed: readonly T[],
  fallback: T,
  errors: ErrorSink,
): T | undefined {
  const value = optionalString(obj, key, path, errors);
  if (value === undefined)
    return own(obj, key) === undefined || own(obj, key) === null ? fallback : undefined;
  if (!(allowed as readonly string[]).includes(value)) {
    errors.push({
      path: fieldPath(path, key),
      message: `must be one of ${allowed.map((a) => `"${a}"`).join(', ')}, got "${value}"`,
    });
    return undefined;
  }
  return value as T;
}

export function optionalPort(obj: UnknownObject, key: string, path: string, errors: ErrorSink) {
  const value = own(obj, key);
  if (value === undefined || value === null) return undefined;
  return expectPort(value, fieldPath(path, key), errors);
}

/** An HTTP header name (RFC 7230 token), lower-cased. */
export function expectHeaderName(value: unknown, path: string, errors: ErrorSink): string | undefined {
  if (typeof value !== 'string' || !/^[A-Za-z0-9!#$%&'*+\-.^_`|~]{1,256}$/.test(value)) {
    errors.push({ path, message: `must be an HTTP header name, got ${describeValue(value)}` });
    return undefined;
  }
  return value.toLowerCase();
}

/** A header value: no control characters (a CR or LF would split the header). */
export function expectHeaderValue(value: unknown, path: string, errors: ErrorSink): string | undefined {
  if (typeof value !== 'string' || value.length > 4096 || hasControlCharacter(value, true)) {
    errors.push({
      path,
      message: `must be a header value (no control characters), got ${describeValue(value)}`,
    });
    return undefined;
  }
  return value;
}

/**
 * A Gateway API duration (GEP-2257): one to four `<1-5 digits><h|m|s|ms>` parts, e.g. `1h30m`, `500ms`.
 * Returns milliseconds.
 */
export function expectGatewayDuration(value: unknown, path: string, errors: ErrorSink): number | undefined {
  if (typeof value !== 'string' || !/^([0-9]{1,5}(h|m|s|ms)){1,4}$/.test(value)) {
    errors.push({ path, message: `must be a duration like "10s" or "1m30s", got ${describeValue(value)}` });
    return undefined;
  }
  const factors: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1_000, ms: 1 };
  let ms = 0;
  for (const part of value.matchAll(/([0-9]+)(ms|h|m|s)/g))
    ms += Number(part[1]) * (factors[part[2] ?? ''] ?? 0);
  return ms;
}

/** `spec.parentRefs`: every entry read (kinds other than Service are kept, for status to leave alone). */
export function readParentRefs(
  spec: UnknownObject,
  namespace: string | undefined,
  errors: ErrorSink,
): ParentRef[] {
  const list = optionalList(own(spec, 'parentRefs'), 'spec.parentRefs', errors) ?? [];
  const refs: ParentRef[] = [];
  list.forEach((raw, i) => {
    const path = `spec.parentRefs[${i}]`;
    const ref = expectObject(raw, path, errors);
    if (ref === undefined) return;
    const group = optionalString(ref, 'group', path, errors) ?? GATEWAY_GROUP;
    const kind = optionalString(ref, 'kind', path, errors) ?? 'Gateway';
    const name = expectDns1123Subdomain(own(ref, 'name'), fieldPath(path, 'name'), errors);
    const givenNamespace = own(ref, 'namespace');
    const refNamespace =
      givenNamespace === undefined || givenNamespace === null
        ? namespace
        : expectDns1123Label(givenNamespace, fieldPath(path, 'namespace'), errors);
    const port = optionalPort(ref, 'port', path, errors);
    const sectionName = optionalString(ref, 'sectionName', path, errors);
    if (name === undefined || refNamespace === undefined) return;
    refs.push({
      group,
      kind,
      namespace: refNamespace,
      namespaceGiven: givenNamespace !== undefined && givenNamespace !== null,
      name,
      port,
      sectionName,
    });
  });
  return refs;
}

/**
 * `backendRefs` of one rule. A weight above 1,000,000 is refused, as the API's schema does. `readFilters`
 * reads a backendRef's `filters` (HTTPRoute, GRPCRoute); without it any filter there is `Unsupported`.
 */
export function readBackendRefs(
  rule: UnknownObject,
  path: string,
  namespace: string | undefined,
  errors: ErrorSink,
  readFilters?: (ref: UnknownObject, path: string) => RouteFilter[],
): BackendRef[] {
  const listPath = fieldPath(path, 'backendRefs');
  const list = optionalList(own(rule, 'backendRefs'), listPath, errors) ?? [];
  const refs: BackendRef[] = [];
  list.forEach((raw, i) => {
    const at = fieldPath(listPath, i);
    const ref = expectObject(raw, at, errors);
    if (ref === undefined) return;
    const group = optionalString(ref, 'group', at, errors) ?? '';
    const kind = optionalString(ref, 'kind', at, errors) ?? 'Service';
    const name = expectDns1123Subdomain(own(ref, 'name'), fieldPath(at, 'name'), errors);
    const givenNamespace = own(ref, 'namespace');
    const refNamespace =
      givenNamespace === undefined || givenNamespace === null
        ? namespace
        : expectDns1123Label(givenNamespace, fieldPath(at, 'namespace'), errors);
    const port = optionalPort(ref, 'port', at, errors);
    const rawWeight = own(ref, 'weight');
    let weight: number | undefined = 1;
    if (rawWeight !== undefined && rawWeight !== null) {
      if (
        typeof rawWeight !== 'number' ||
        !Number.isInteger(rawWeight) ||
        rawWeight < 0 ||
        rawWeight > 1_000_000
      ) {
        errors.push({
          path: fieldPath(at, 'weight'),
          message: `must be an integer from 0 to 1000000, got ${describeValue(rawWeight)}`,
        });
        weight = undefined;
      } else weight = Math.min(rawWeight, MAX_INT32);
    }
    const filters = readFilters === undefined ? noFilters(ref, at, errors) : readFilters(ref, at);
    if (name === undefined || refNamespace === undefined || weight === undefined) return;
    refs.push({ group, kind, namespace: refNamespace, name, port, weight, filters });
  });
  return refs;
}

/** A kind whose backendRefs take no filters: any given are kept as `Unsupported`. */
function noFilters(ref: UnknownObject, path: string, errors: ErrorSink): RouteFilter[] {
  const list = optionalList(own(ref, 'filters'), fieldPath(path, 'filters'), errors) ?? [];
  return list.length === 0 ? [] : [{ type: 'Unsupported', name: 'backendRefs[].filters' }];
}

/** The rule's optional `name` (a DNS label, unique within the route; uniqueness is checked by the caller). */
export function readRuleName(rule: UnknownObject, path: string, errors: ErrorSink): string | undefined {
  const value = own(rule, 'name');
  if (value === undefined || value === null) return undefined;
  return expectDns1123Label(value, fieldPath(path, 'name'), errors);
}

/** Reports rule names used twice in one route (`rules` as written, so paths keep their indexes). */
export function checkUniqueRuleNames(rules: readonly unknown[], errors: ErrorSink): void {
  const seen = new Set<string>();
  rules.forEach((rule, i) => {
    const name = isObject(rule) ? own(rule, 'name') : undefined;
    if (typeof name !== 'string') return;
    if (seen.has(name))
      errors.push({
        path: `spec.rules[${i}].name`,
        message: `"${name}" is already the name of another rule`,
      });
    seen.add(name);
  });
}

/** Whether `text` has a control character (a CR or LF would split a header); tab allowed when `tabOk`. */
export function hasControlCharacter(text: string, tabOk = false): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if ((code < 0x20 && !(tabOk && code === 0x09)) || code === 0x7f) return true;
  }
  return false;
}
