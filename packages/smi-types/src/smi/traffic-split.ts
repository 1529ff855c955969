import type { TrafficSplit, TrafficSplitBackend, TrafficSplitMatch } from '../model/traffic-split.js';
import { describeValue } from '../validation/describe.js';
import { expectDns1123Label, expectDns1123Subdomain } from '../validation/dns-names.js';
import { expectNonNegativeInt32 } from '../validation/numbers.js';
import { fieldPath } from '../validation/path.js';
import { type ErrorSink, expectList, expectObject, optionalList, own } from '../validation/read-fields.js';
import { fail, ok, type Result } from '../validation/result.js';
import { readEnvelope } from './metadata.js';
import { isSplitMatchKind, SPLIT_GROUP, SPLIT_MATCH_KINDS } from './vocabulary.js';

function readBackend(
  value: unknown,
  path: string,
  seen: Map<string, string>,
  errors: ErrorSink,
): TrafficSplitBackend | undefined {
  const backend = expectObject(value, path, errors);
  if (backend === undefined) return undefined;
  const servicePath = fieldPath(path, 'service');
  const service = expectDns1123Label(own(backend, 'service'), servicePath, errors);
  const weight = expectNonNegativeInt32(own(backend, 'weight'), fieldPath(path, 'weight'), errors);
  if (service !== undefined) {
    const first = seen.get(service);
    if (first !== undefined) {
      errors.push({
        path: servicePath,
        message: `duplicates the backend ${describeValue(service)} of ${first}`,
      });
      return undefined;
    }
    seen.set(service, servicePath);
  }
  if (service === undefined || weight === undefined) return undefined;
  return { service, weight };
}

function readMatch(value: unknown, path: string, errors: ErrorSink): TrafficSplitMatch | undefined {
  const match = expectObject(value, path, errors);
  if (match === undefined) return undefined;
  const kind = own(match, 'kind');
  if (!isSplitMatchKind(kind)) {
    errors.push({
      path: fieldPath(path, 'kind'),
      message:
        kind === undefined
          ? 'is required'
          : `must be ${SPLIT_MATCH_KINDS.join(', ')} (a split narrows HTTP routes only), got ${describeValue(kind)}`,
    });
  }
  const apiGroup = own(match, 'apiGroup');
  if (apiGroup !== undefined && apiGroup !== 'specs.smi-spec.io') {
    errors.push({
      path: fieldPath(path, 'apiGroup'),
      message: `must be "specs.smi-spec.io" when set, got ${describeValue(apiGroup)}`,
    });
  }
  const name = expectDns1123Subdomain(own(match, 'name'), fieldPath(path, 'name'), errors);
  if (!isSplitMatchKind(kind) || name === undefined) return undefined;
  return { kind, name };
}

function validateTrafficSplit(value: unknown, apiVersion: string, hasMatches: boolean): Result<TrafficSplit> {
  const errors: ErrorSink = [];
  const { meta, spec } = readEnvelope(value, apiVersion, 'TrafficSplit', errors);
  if (spec === undefined) return fail(errors);
  const service = expectDns1123Label(own(spec, 'service'), 'spec.service', errors);
  const backends: TrafficSplitBackend[] = [];
  const seen = new Map<string, string>();
  const rawBackends = expectList(own(spec, 'backends'), 'spec.backends', errors);
  if (rawBackends !== undefined && rawBackends.length === 0) {
    errors.push({ path: 'spec.backends', message: 'must list at least one backend' });
  }
  rawBackends?.forEach((item, i) => {
    const backend = readBackend(item, fieldPath('spec.backends', i), seen, errors);
    if (backend !== undefined) backends.push(backend);
  });
  const matches: TrafficSplitMatch[] = [];
  if (hasMatches) {
    optionalList(own(spec, 'matches'), 'spec.matches', errors)?.forEach((item, i) => {
      const match = readMatch(item, fieldPath('spec.matches', i), errors);
      if (match !== undefined) matches.push(match);
    });
  }
  if (errors.length > 0 || meta === undefined || service === undefined) return fail(errors);
  return ok({ ...meta, kind: 'TrafficSplit', service, backends, matches });
}

/** split.smi-spec.io/v1alpha2 TrafficSplit: integer weights, no matches. */
export function validateTrafficSplitV1alpha2(value: unknown): Result<TrafficSplit> {
  return validateTrafficSplit(value, `${SPLIT_GROUP}/v1alpha2`, false);
}

/** split.smi-spec.io/v1alpha3 TrafficSplit: adds `matches`, references to routes whose traffic is split. */
export function validateTrafficSplitV1alpha3(value: unknown): Result<TrafficSplit> {
  return validateTrafficSplit(value, `${SPLIT_GROUP}/v1alpha3`, true);
}

/** split.smi-spec.io/v1alpha4 TrafficSplit: the shape of v1alpha3, matching specs.smi-spec.io/v1alpha4 routes. */
export function validateTrafficSplitV1alpha4(value: unknown): Result<TrafficSplit> {
  return validateTrafficSplit(value, `${SPLIT_GROUP}/v1alpha4`, true);
}
