/**
 * GRPCRoute (v1 and v1alpha2) → HTTP rules. A gRPC call is a POST to `/<service>/<method>`, so a method match
 * becomes a path match: service and method exact → an Exact path; service alone → a PathPrefix; method
 * alone or RegularExpression → a RE2 pattern over the whole path. The proxy then has one rule table.
 */
import { describeValue } from '../validation/describe.js';
import { fieldPath } from '../validation/path.js';
import { re2PatternProblem } from '../validation/re2-pattern.js';
import { type ErrorSink, expectObject, own } from '../validation/read-fields.js';
import { fail, ok, type Result } from '../validation/result.js';
import {
  optionalEnum,
  optionalString,
  readBackendRefs,
  readGatewayEnvelope,
  readParentRefs,
  readRuleName,
} from './fields.js';
import {
  BACKEND_FILTERS,
  MATCH_ALL_PATH,
  readFilters,
  readRouteRules,
  readRuleMatches,
  readValueMatches,
} from './http-route.js';
import type { MeshHttpRoute, PathMatch, RouteMatch } from './model.js';

const GRPC_FILTERS = ['RequestHeaderModifier', 'ResponseHeaderModifier'];
/** What a gRPC service or method name may be: `[A-Za-z_][A-Za-z_0-9]*`, services dotted. */
const SERVICE = /^[A-Za-z_][A-Za-z_0-9]*(\.[A-Za-z_][A-Za-z_0-9]*)*$/;
const METHOD = /^[A-Za-z_][A-Za-z_0-9]*$/;

export function validateGrpcRoute(value: unknown, apiVersion: string): Result<MeshHttpRoute> {
  const errors: ErrorSink = [];
  const { meta, spec } = readGatewayEnvelope(value, apiVersion, 'GRPCRoute', errors);
  if (spec === undefined) return fail(errors);
  const parentRefs = readParentRefs(spec, meta?.namespace, errors);
  const rules = readRouteRules(spec, errors, (raw, path) => {
    const rule = expectObject(raw, path, errors);
    if (rule === undefined) return undefined;
    const before = errors.length;
    const name = readRuleName(rule, path, errors);
    const matches = readRuleMatches(rule, path, errors, readGrpcMatch);
    const filters = readFilters(rule, path, errors, GRPC_FILTERS);
    const backends = readBackendRefs(rule, path, meta?.namespace, errors, (ref, at) =>
      readFilters(ref, at, errors, BACKEND_FILTERS),
    );
    if (errors.length > before) return undefined;
    return { name, matches, filters, backends, timeouts: undefined, retry: undefined };
  });
  if (errors.length > 0 || meta === undefined) return fail(errors);
  return ok({ kind: 'GRPCRoute', meta, parentRefs, rules });
}

function readGrpcMatch(raw: unknown, path: string, errors: ErrorSink): RouteMatch | undefined {
  const match = expectObject(raw, path, errors);
  if (match === undefined) return undefined;
  const before = errors.length;
  let pathMatch: PathMatch | undefined = MATCH_ALL_PATH;
  const rawMethod = own(match, 'method');
  if (rawMethod !== undefined && rawMethod !== null) {
    pathMatch = readMethodMatch(rawMethod, fieldPath(path, 'method'), errors);
  }
  const headers = readValueMatches(match, 'headers', path, true, errors);
  if (errors.length > before || pathMatch === undefined) return undefined;
  return { path: pathMatch, headers, queryParams: [], method: undefined };
}

function readMethodMatch(raw: unknown, path: string, errors: ErrorSink): PathMatch | undefined {
  const body = expectObject(raw, path, errors);
  if (body === undefined) return undefined;
  const type = optionalEnum(body, 'type', path, ['Exact', 'RegularExpression'] as const, 'Exact', errors);
  const service = optionalString(body, 'service', path, errors);
  const method = optionalString(body, 'method', path, errors);
  if (type === undefined) return undefined;
  if (service === undefined && method === undefined) {
    errors.push({ path, message: 'must set service, method or both' });
    return undefined;
  }
  if (type === 'Exact') {
    if (service !== undefined && !SERVICE.test(service)) {
      errors.push({
        path: fieldPath(path, 'service'),
        message: `must be a gRPC service name, got ${describeValue(service)}`,
      });
    }
    if (method !== undefined && !METHOD.test(method)) {
      errors.push({
        path: fieldPath(path, 'method'),
        message: `must be a gRPC method name, got ${describeValue(method)}`,
      });
    }
    if (service !== undefined && method !== undefined)
      return { type: 'Exact', value: `/${service}/${method}` };
    if (service !== undefined) return { type: 'PathPrefix', value: `/${service}` };
    return { type: 'RegularExpression', value: `/[^/]+/${method ?? ''}` };
  }
  for (const [key, part] of [
    ['service', service],
    ['method', method],
  ] as const) {
    const problem = part === undefined ? undefined : re2PatternProblem(part);
    if (problem !== undefined) errors.push({ path: fieldPath(path, key), message: problem });
  }
  return { type: 'RegularExpression', value: `/(?:${service ?? '[^/]+'})/(?:${method ?? '[^/]+'})` };
}
