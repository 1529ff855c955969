import type { HTTPMatch, HTTPRouteGroup } from '../model/routes.js';
import { describeValue } from '../validation/describe.js';
import { fieldPath } from '../validation/path.js';
import { expectRe2Pattern } from '../validation/re2-pattern.js';
import {
  type ErrorSink,
  expectList,
  expectObject,
  isObject,
  optionalList,
  own,
  type UnknownObject,
} from '../validation/read-fields.js';
import { fail, ok, type Result } from '../validation/result.js';
import { readEnvelope } from './metadata.js';
import { readUniqueName } from './unique-names.js';
import { ANY_METHOD, HTTP_METHODS, SPECS_GROUP } from './vocabulary.js';

/** An HTTP header field name (RFC 9110 token). */
const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

function readMethods(value: unknown, path: string, errors: ErrorSink): string[] {
  const methods: string[] = [];
  optionalList(value, path, errors)?.forEach((item, i) => {
    const itemPath = fieldPath(path, i);
    if (item === ANY_METHOD || (HTTP_METHODS as readonly unknown[]).includes(item)) {
      methods.push(item as string);
      return;
    }
    errors.push({
      path: itemPath,
      message: `must be an upper-case HTTP method (${HTTP_METHODS.join(', ')}) or "*", got ${describeValue(item)}`,
    });
  });
  return methods;
}

/** Adds the entries of one header map to `into`, with lower-case names. */
function readHeaderMap(map: UnknownObject, path: string, into: Map<string, string>, errors: ErrorSink): void {
  for (const [name, pattern] of Object.entries(map)) {
    const entryPath = `${path}[${name}]`;
    if (!HEADER_NAME.test(name)) {
      errors.push({
        path: entryPath,
        message: `header name must be an HTTP token, got ${describeValue(name)}`,
      });
      continue;
    }
    const lower = name.toLowerCase();
    if (into.has(lower)) {
      errors.push({ path: entryPath, message: `names header "${lower}" a second time` });
      continue;
    }
    const checked = expectRe2Pattern(pattern, entryPath, errors);
    if (checked !== undefined) into.set(lower, checked);
  }
}

/**
 * `headers` is a map in the SMI text and Go types, but a list of single-key maps in the published CRD.
 * Both read into one map keyed by lower-case header name.
 */
function readHeaders(value: unknown, path: string, errors: ErrorSink): Record<string, string> {
  const headers = new Map<string, string>();
  if (value === undefined || value === null) return {};
  if (Array.isArray(value)) {
    value.forEach((item, i) => {
      const map = expectObject(item, fieldPath(path, i), errors);
      if (map !== undefined) readHeaderMap(map, fieldPath(path, i), headers, errors);
    });
  } else if (isObject(value)) {
    readHeaderMap(value, path, headers, errors);
  } else {
    errors.push({
      path,
      message: `must be a map of header name to regular expression, got ${describeValue(value)}`,
    });
  }
  // fromEntries defines own properties, so a header named "__proto__" stays a plain key.
  return Object.fromEntries(headers);
}

function readMatch(
  value: unknown,
  path: string,
  names: Map<string, string>,
  errors: ErrorSink,
): HTTPMatch | undefined {
  const match = expectObject(value, path, errors);
  if (match === undefined) return undefined;
  const before = errors.length;
  const name = readUniqueName(own(match, 'name'), fieldPath(path, 'name'), names, errors);
  const rawPathRegex = own(match, 'pathRegex');
  const pathRegex =
    rawPathRegex === undefined
      ? undefined
      : expectRe2Pattern(rawPathRegex, fieldPath(path, 'pathRegex'), errors);
  const methods = readMethods(own(match, 'methods'), fieldPath(path, 'methods'), errors);
  const headers = readHeaders(own(match, 'headers'), fieldPath(path, 'headers'), errors);
  if (errors.length > before || name === undefined) return undefined;
  return pathRegex === undefined ? { name, methods, headers } : { name, pathRegex, methods, headers };
}

function validateHTTPRouteGroup(value: unknown, apiVersion: string): Result<HTTPRouteGroup> {
  const errors: ErrorSink = [];
  const { meta, spec } = readEnvelope(value, apiVersion, 'HTTPRouteGroup', errors);
  if (spec === undefined) return fail(errors);
  const matches: HTTPMatch[] = [];
  const names = new Map<string, string>();
  expectList(own(spec, 'matches'), 'spec.matches', errors)?.forEach((item, i) => {
    const match = readMatch(item, fieldPath('spec.matches', i), names, errors);
    if (match !== undefined) matches.push(match);
  });
  if (errors.length > 0 || meta === undefined) return fail(errors);
  return ok({ ...meta, kind: 'HTTPRouteGroup', matches });
}

/** specs.smi-spec.io/v1alpha3 HTTPRouteGroup. */
export function validateHTTPRouteGroupV1alpha3(value: unknown): Result<HTTPRouteGroup> {
  return validateHTTPRouteGroup(value, `${SPECS_GROUP}/v1alpha3`);
}

/** specs.smi-spec.io/v1alpha4 HTTPRouteGroup. */
export function validateHTTPRouteGroupV1alpha4(value: unknown): Result<HTTPRouteGroup> {
  return validateHTTPRouteGroup(value, `${SPECS_GROUP}/v1alpha4`);
}
