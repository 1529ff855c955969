/**
 * HTTPRoute (gateway.networking.k8s.io/v1 and v1beta1, one shape) → the mesh route model. Reads the fields
 * Nodemesh acts on; rejects what cannot be routed safely (a regex RE2 refuses, a CR or LF in a header value,
 * a redirect beside backends); keeps a filter type it does not implement as `Unsupported`, so status can say
 * so and the rule answers 500 instead of routing half-configured.
 */
import { describeValue } from '../validation/describe.js';
import { fieldPath } from '../validation/path.js';
import { expectRe2Pattern } from '../validation/re2-pattern.js';
import {
  type ErrorSink,
  expectObject,
  expectString,
  optionalList,
  own,
  type UnknownObject,
} from '../validation/read-fields.js';
import { fail, ok, type Result } from '../validation/result.js';
import {
  checkUniqueRuleNames,
  expectGatewayDuration,
  expectHeaderName,
  expectHeaderValue,
  hasControlCharacter,
  optionalEnum,
  optionalPort,
  optionalString,
  readBackendRefs,
  readGatewayEnvelope,
  readParentRefs,
  readRuleName,
} from './fields.js';
import type {
  HeaderModifier,
  HttpRouteRule,
  MeshHttpRoute,
  PathMatch,
  PathModifier,
  RouteFilter,
  RouteMatch,
  RouteRetry,
  RouteTimeouts,
  ValueMatch,
} from './model.js';

export const ROUTE_METHODS = [
  'GET',
  'HEAD',
  'POST',
  'PUT',
  'DELETE',
  'CONNECT',
  'OPTIONS',
  'TRACE',
  'PATCH',
] as const;

/** The match every rule without `matches` has, and the path of a match without `path`. */
export const MATCH_ALL_PATH: PathMatch = Object.freeze({ type: 'PathPrefix', value: '/' });

export function validateHttpRoute(value: unknown, apiVersion: string): Result<MeshHttpRoute> {
  const errors: ErrorSink = [];
  const { meta, spec } = readGatewayEnvelope(value, apiVersion, 'HTTPRoute', errors);
  if (spec === undefined) return fail(errors);
  const parentRefs = readParentRefs(spec, meta?.namespace, errors);
  const rules = readRouteRules(spec, errors, (raw, path) => readHttpRule(raw, path, meta?.namespace, errors));
  if (errors.length > 0 || meta === undefined) return fail(errors);
  return ok({ kind: 'HTTPRoute', meta, parentRefs, rules });
}

/**
 * The rules of an HTTPRoute or GRPCRoute, each read by `readRule` (undefined: it had errors); no rules at all
 * means one rule matching everything, as the spec says. Rule names must be unique.
 */
export function readRouteRules(
  spec: UnknownObject,
  errors: ErrorSink,
  readRule: (raw: unknown, path: string) => HttpRouteRule | undefined,
): HttpRouteRule[] {
  const rawRules = optionalList(own(spec, 'rules'), 'spec.rules', errors) ?? [];
  const list = rawRules.length === 0 ? [{}] : rawRules;
  const rules: HttpRouteRule[] = [];
  list.forEach((raw, i) => {
    const rule = readRule(raw, `spec.rules[${i}]`);
    if (rule !== undefined) rules.push(rule);
  });
  checkUniqueRuleNames(list, errors);
  return rules;
}

/** A rule's matches, each read by `readOne`; none means one match of every request. */
export function readRuleMatches(
  rule: UnknownObject,
  path: string,
  errors: ErrorSink,
  readOne: (raw: unknown, path: string, errors: ErrorSink) => RouteMatch | undefined,
): RouteMatch[] {
  const rawMatches = optionalList(own(rule, 'matches'), fieldPath(path, 'matches'), errors) ?? [];
  const matches: RouteMatch[] = [];
  rawMatches.forEach((m, i) => {
    const match = readOne(m, `${path}.matches[${i}]`, errors);
    if (match !== undefined) matches.push(match);
  });
  if (rawMatches.length === 0)
    matches.push({ path: MATCH_ALL_PATH, headers: [], queryParams: [], method: undefined });
  return matches;
}

function readHttpRule(
  raw: unknown,
  path: string,
  namespace: string | undefined,
  errors: ErrorSink,
): HttpRouteRule | undefined {
  const rule = expectObject(raw, path, errors);
  if (rule === undefined) return undefined;
  const before = errors.length;
  const name = readRuleName(rule, path, errors);
  const matches = readRuleMatches(rule, path, errors, readMatch);
  const filters = readFilters(rule, path, errors);
  const backends = readBackendRefs(rule, path, namespace, errors, (ref, at) =>
    readFilters(ref, at, errors, BACKEND_FILTERS),
  );
  const timeouts = readTimeouts(rule, path, errors);
  const retry = readRetry(rule, path, errors);
  checkFilterCombination(filters, matches, backends.length, path, errors);
  if (errors.length > before) return undefined;
  return { name, matches, filters, backends, timeouts, retry };
}

export function readMatch(raw: unknown, path: string, errors: ErrorSink): RouteMatch | undefined {
  const match = expectObject(raw, path, errors);
  if (match === undefined) return undefined;
  const before = errors.length;
  const rawPath = own(match, 'path');
  let pathMatch: PathMatch | undefined = MATCH_ALL_PATH;
  if (rawPath !== undefined && rawPath !== null)
    pathMatch = readPathMatch(rawPath, fieldPath(path, 'path'), errors);
  const headers = readValueMatches(match, 'headers', path, true, errors);
  const queryParams = readValueMatches(match, 'queryParams', path, false, errors);
  const method = optionalString(match, 'method', path, errors);
  if (method !== undefined && !(ROUTE_METHODS as readonly string[]).includes(method)) {
    errors.push({
      path: fieldPath(path, 'method'),
      message: `must be one of ${ROUTE_METHODS.join(', ')}, got "${method}"`,
    });
  }
  if (errors.length > before || pathMatch === undefined) return undefined;
  return { path: pathMatch, headers, queryParams, method };
}

function readPathMatch(raw: unknown, path: string, errors: ErrorSink): PathMatch | undefined {
  const match = expectObject(raw, path, errors);
  if (match === undefined) return undefined;
  const type = optionalEnum(
    match,
    'type',
    path,
    ['Exact', 'PathPrefix', 'RegularExpression'] as const,
    'PathPrefix',
    errors,
  );
  const rawValue = own(match, 'value');
  const valuePath = fieldPath(path, 'value');
  if (type === 'RegularExpression') {
    const value = expectRe2Pattern(rawValue, valuePath, errors);
    return value === undefined ? undefined : { type, value };
  }
  const value = rawValue === undefined || rawValue === null ? '/' : expectString(rawValue, valuePath, errors);
  if (value === undefined || type === undefined) return undefined;
  if (!value.startsWith('/') || value.length > 1024 || /[\s?#]|\/\/|\/\.\.?(\/|$)/.test(value)) {
    errors.push({
      path: valuePath,
      message: `must be an absolute path without "//", "/./", "/../", "?", "#" or spaces, got ${describeValue(value)}`,
    });
    return undefined;
  }
  return { type, value };
}

/** Header (or query parameter) matches: Exact or RE2, a repeated name counting once. */
export function readValueMatches(
  match: UnknownObject,
  key: 'headers' | 'queryParams',
  path: string,
  isHeader: boolean,
  errors: ErrorSink,
): ValueMatch[] {
  const listPath = fieldPath(path, key);
  const list = optionalList(own(match, key), listPath, errors) ?? [];
  const out: ValueMatch[] = [];
  const names = new Set<string>();
  list.forEach((raw, i) => {
    const at = fieldPath(listPath, i);
    const entry = expectObject(raw, at, errors);
    if (entry === undefined) return;
    const type = optionalEnum(entry, 'type', at, ['Exact', 'RegularExpression'] as const, 'Exact', errors);
    const rawName = own(entry, 'name');
    const name = isHeader
      ? expectHeaderName(rawName, fieldPath(at, 'name'), errors)
      : expectQueryParamName(rawName, fieldPath(at, 'name'), errors);
    const value =
      type === 'RegularExpression'
        ? expectRe2Pattern(own(entry, 'value'), fieldPath(at, 'value'), errors)
        : expectHeaderValue(own(entry, 'value'), fieldPath(at, 'value'), errors);
    if (type === undefined || name === undefined || value === undefined) return;
    // The spec: a repeated name counts once, the first entry wins.
    if (names.has(name)) return;
    names.add(name);
    out.push({ type, name, value });
  });
  return out;
}

/** A query parameter name: case-sensitive, 1 to 256 characters. */
function expectQueryParamName(value: unknown, path: string, errors: ErrorSink): string | undefined {
  if (typeof value === 'string' && value.length > 0 && value.length <= 256) return value;
  errors.push({ path, message: `must be a query parameter name, got ${describeValue(value)}` });
  return undefined;
}

const FILTER_TYPES = [
  'RequestHeaderModifier',
  'ResponseHeaderModifier',
  'RequestRedirect',
  'URLRewrite',
] as const;
/** The filters Nodemesh applies on a backendRef (the request sent to that backend, its response). */
export const BACKEND_FILTERS: readonly string[] = ['RequestHeaderModifier', 'ResponseHeaderModifier'];

const OTHER_FILTER_TYPES = ['RequestMirror', 'ExtensionRef', 'CORS', 'ExternalAuth'];

export function readFilters(
  rule: UnknownObject,
  path: string,
  errors: ErrorSink,
  supported: readonly string[] = FILTER_TYPES,
): RouteFilter[] {
  const listPath = fieldPath(path, 'filters');
  const list = optionalList(own(rule, 'filters'), listPath, errors) ?? [];
  const filters: RouteFilter[] = [];
  list.forEach((raw, i) => {
    const at = fieldPath(listPath, i);
    const filter = expectObject(raw, at, errors);
    if (filter === undefined) return;
    const type = expectString(own(filter, 'type'), fieldPath(at, 'type'), errors);
    if (type === undefined) return;
    const config = (key: string) => expectObject(own(filter, key), fieldPath(at, key), errors);
    if (!supported.includes(type)) {
      if (OTHER_FILTER_TYPES.includes(type) || FILTER_TYPES.includes(type as (typeof FILTER_TYPES)[number])) {
        filters.push({ type: 'Unsupported', name: type });
      } else errors.push({ path: fieldPath(at, 'type'), message: `is not a filter type, got "${type}"` });
      return;
    }
    switch (type) {
      case 'RequestHeaderModifier':
      case 'ResponseHeaderModifier': {
        const key = type === 'RequestHeaderModifier' ? 'requestHeaderModifier' : 'responseHeaderModifier';
        const body = config(key);
        const modifier =
          body === undefined ? undefined : readHeaderModifier(body, fieldPath(at, key), errors);
        if (modifier !== undefined) filters.push({ type, modifier });
        return;
      }
      case 'RequestRedirect': {
        const body = config('requestRedirect');
        if (body === undefined) return;
        const p = fieldPath(at, 'requestRedirect');
        const before = errors.length;
        const scheme = optionalEnum(body, 'scheme', p, ['http', 'https', ''] as const, '', errors);
        const hostname = readHostname(body, p, errors);
        const pathModifier = readPathModifier(body, p, errors);
        const port = optionalPort(body, 'port', p, errors);
        const rawStatus = own(body, 'statusCode');
        const statusCode = rawStatus === undefined || rawStatus === null ? 302 : rawStatus;
        if (
          statusCode !== 301 &&
          statusCode !== 302 &&
          statusCode !== 303 &&
          statusCode !== 307 &&
          statusCode !== 308
        ) {
          errors.push({
            path: fieldPath(p, 'statusCode'),
            message: `must be 301, 302, 303, 307 or 308, got ${describeValue(rawStatus)}`,
          });
          return;
        }
        if (errors.length > before) return;
        filters.push({
          type,
          redirect: {
            scheme: scheme === '' ? undefined : scheme,
            hostname,
            path: pathModifier,
            port,
            statusCode,
          },
        });
        return;
      }
      case 'URLRewrite': {
        const body = config('urlRewrite');
        if (body === undefined) return;
        const p = fieldPath(at, 'urlRewrite');
        const before = errors.length;
        const hostname = readHostname(body, p, errors);
        const pathModifier = readPathModifier(body, p, errors);
        if (errors.length === before) filters.push({ type, rewrite: { hostname, path: pathModifier } });
        return;
      }
    }
  });
  return filters;
}

function readHeaderModifier(
  body: UnknownObject,
  path: string,
  errors: ErrorSink,
): HeaderModifier | undefined {
  const before = errors.length;
  const pairs = (key: 'set' | 'add') => {
    const listPath = fieldPath(path, key);
    return (optionalList(own(body, key), listPath, errors) ?? []).flatMap((raw, i) => {
      const at = fieldPath(listPath, i);
      const entry = expectObject(raw, at, errors);
      if (entry === undefined) return [];
      const name = expectHeaderName(own(entry, 'name'), fieldPath(at, 'name'), errors);
      const value = expectHeaderValue(own(entry, 'value'), fieldPath(at, 'value'), errors);
      return name === undefined || value === undefined ? [] : [{ name, value }];
    });
  };
  const set = pairs('set');
  const add = pairs('add');
  const removePath = fieldPath(path, 'remove');
  const remove = (optionalList(own(body, 'remove'), removePath, errors) ?? []).flatMap((raw, i) => {
    const name = expectHeaderName(raw, fieldPath(removePath, i), errors);
    return name === undefined ? [] : [name];
  });
  return errors.length > before ? undefined : { set, add, remove };
}

function readHostname(body: UnknownObject, path: string, errors: ErrorSink): string | undefined {
  const hostname = optionalString(body, 'hostname', path, errors);
  if (hostname === undefined) return undefined;
  if (
    !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/.test(hostname) ||
    hostname.length > 253
  ) {
    errors.push({
      path: fieldPath(path, 'hostname'),
      message: `must be a lower-case DNS name, got "${hostname}"`,
    });
    return undefined;
  }
  return hostname;
}

function readPathModifier(body: UnknownObject, path: string, errors: ErrorSink): PathModifier | undefined {
  const raw = own(body, 'path');
  if (raw === undefined || raw === null) return undefined;
  const p = fieldPath(path, 'path');
  const modifier = expectObject(raw, p, errors);
  if (modifier === undefined) return undefined;
  const type = optionalEnum(
    modifier,
    'type',
    p,
    ['ReplaceFullPath', 'ReplacePrefixMatch'] as const,
    'ReplaceFullPath',
    errors,
  );
  if (type === undefined) return undefined;
  const key = type === 'ReplaceFullPath' ? 'replaceFullPath' : 'replacePrefixMatch';
  const value = expectString(own(modifier, key), fieldPath(p, key), errors);
  if (value === undefined) return undefined;
  if (!value.startsWith('/') || value.length > 1024 || /[\s?#]/.test(value) || hasControlCharacter(value)) {
    errors.push({
      path: fieldPath(p, key),
      message: `must be an absolute path, got ${describeValue(value)}`,
    });
    return undefined;
  }
  return { type, value };
}

function readTimeouts(rule: UnknownObject, path: string, errors: ErrorSink): RouteTimeouts | undefined {
  const raw = own(rule, 'timeouts');
  if (raw === undefined || raw === null) return undefined;
  const p = fieldPath(path, 'timeouts');
  const body = expectObject(raw, p, errors);
  if (body === undefined) return undefined;
  const read = (key: string) => {
    const value = own(body, key);
    if (value === undefined || value === null) return undefined;
    const ms = expectGatewayDuration(value, fieldPath(p, key), errors);
    return ms === 0 ? undefined : ms; // "0s": no timeout
  };
  const requestMs = read('request');
  const backendRequestMs = read('backendRequest');
  if (requestMs !== undefined && backendRequestMs !== undefined && backendRequestMs > requestMs) {
    errors.push({ path: fieldPath(p, 'backendRequest'), message: 'must not be longer than request' });
  }
  return { requestMs, backendRequestMs };
}

function readRetry(rule: UnknownObject, path: string, errors: ErrorSink): RouteRetry | undefined {
  const raw = own(rule, 'retry');
  if (raw === undefined || raw === null) return undefined;
  const p = fieldPath(path, 'retry');
  const body = expectObject(raw, p, errors);
  if (body === undefined) return undefined;
  const codesPath = fieldPath(p, 'codes');
  const codes = (optionalList(own(body, 'codes'), codesPath, errors) ?? []).flatMap((code, i) => {
    if (typeof code === 'number' && Number.isInteger(code) && code >= 400 && code <= 599) return [code];
    errors.push({
      path: fieldPath(codesPath, i),
      message: `must be an HTTP status from 400 to 599, got ${describeValue(code)}`,
    });
    return [];
  });
  const rawAttempts = own(body, 'attempts');
  let attempts = 1;
  if (rawAttempts !== undefined && rawAttempts !== null) {
    if (
      typeof rawAttempts !== 'number' ||
      !Number.isInteger(rawAttempts) ||
      rawAttempts < 0 ||
      rawAttempts > 100
    ) {
      errors.push({
        path: fieldPath(p, 'attempts'),
        message: `must be an integer from 0 to 100, got ${describeValue(rawAttempts)}`,
      });
    } else attempts = rawAttempts;
  }
  const rawBackoff = own(body, 'backoff');
  const backoffMs =
    rawBackoff === undefined || rawBackoff === null
      ? 0
      : (expectGatewayDuration(rawBackoff, fieldPath(p, 'backoff'), errors) ?? 0);
  return { codes, attempts, backoffMs };
}

/** The combinations the API forbids, which would leave the proxy guessing. */
function checkFilterCombination(
  filters: readonly RouteFilter[],
  matches: readonly RouteMatch[],
  backendCount: number,
  path: string,
  errors: ErrorSink,
): void {
  const types = filters.map((f) => f.type);
  const redirect = filters.find((f) => f.type === 'RequestRedirect');
  const rewrite = filters.find((f) => f.type === 'URLRewrite');
  if (redirect !== undefined && rewrite !== undefined) {
    errors.push({
      path: fieldPath(path, 'filters'),
      message: 'may not have both RequestRedirect and URLRewrite',
    });
  }
  if (redirect !== undefined && backendCount > 0) {
    errors.push({
      path: fieldPath(path, 'backendRefs'),
      message: 'must be empty when a RequestRedirect filter is set',
    });
  }
  for (const type of ['RequestHeaderModifier', 'ResponseHeaderModifier', 'RequestRedirect', 'URLRewrite']) {
    if (types.filter((t) => t === type).length > 1) {
      errors.push({ path: fieldPath(path, 'filters'), message: `may have at most one ${type} filter` });
    }
  }
  const prefixModifier =
    (redirect?.type === 'RequestRedirect' && redirect.redirect.path?.type === 'ReplacePrefixMatch') ||
    (rewrite?.type === 'URLRewrite' && rewrite.rewrite.path?.type === 'ReplacePrefixMatch');
  if (prefixModifier && matches.some((m) => m.path.type !== 'PathPrefix')) {
    errors.push({
      path: fieldPath(path, 'matches'),
      message: 'ReplacePrefixMatch needs every match of the rule to be a PathPrefix match',
    });
  }
}
