import type { ServiceAccountSubject, TrafficTarget, TrafficTargetRule } from '../model/traffic-target.js';
import { describeValue } from '../validation/describe.js';
import { expectDns1123Label, expectDns1123Subdomain } from '../validation/dns-names.js';
import { expectPort } from '../validation/numbers.js';
import { fieldPath } from '../validation/path.js';
import {
  type ErrorSink,
  expectNonEmptyString,
  expectObject,
  optionalList,
  own,
} from '../validation/read-fields.js';
import { fail, ok, type Result } from '../validation/result.js';
import { readEnvelope } from './metadata.js';
import { ACCESS_GROUP, isRouteKind, ROUTE_KINDS } from './vocabulary.js';

/**
 * Reads a ServiceAccount subject. A missing namespace means the TrafficTarget's own namespace, as most SMI
 * implementations read it.
 */
function readSubject(
  value: unknown,
  path: string,
  defaultNamespace: string | undefined,
  errors: ErrorSink,
): (ServiceAccountSubject & { port?: number }) | undefined {
  const subject = expectObject(value, path, errors);
  if (subject === undefined) return undefined;
  const before = errors.length;
  const kind = own(subject, 'kind');
  if (kind !== 'ServiceAccount') {
    errors.push({
      path: fieldPath(path, 'kind'),
      message: kind === undefined ? 'is required' : `must be "ServiceAccount", got ${describeValue(kind)}`,
    });
  }
  const name = expectDns1123Subdomain(own(subject, 'name'), fieldPath(path, 'name'), errors);
  const rawNamespace = own(subject, 'namespace');
  const namespace =
    rawNamespace === undefined
      ? defaultNamespace
      : expectDns1123Label(rawNamespace, fieldPath(path, 'namespace'), errors);
  const rawPort = own(subject, 'port');
  const port = rawPort === undefined ? undefined : expectPort(rawPort, fieldPath(path, 'port'), errors);
  if (errors.length > before || name === undefined || namespace === undefined) return undefined;
  const base: ServiceAccountSubject = { kind: 'ServiceAccount', namespace, name };
  return port === undefined ? base : { ...base, port };
}

function readRule(value: unknown, path: string, errors: ErrorSink): TrafficTargetRule | undefined {
  const rule = expectObject(value, path, errors);
  if (rule === undefined) return undefined;
  const before = errors.length;
  const kind = own(rule, 'kind');
  if (!isRouteKind(kind)) {
    errors.push({
      path: fieldPath(path, 'kind'),
      message:
        kind === undefined
          ? 'is required'
          : `must be one of ${ROUTE_KINDS.join(', ')}, got ${describeValue(kind)}`,
    });
  }
  const name = expectDns1123Subdomain(own(rule, 'name'), fieldPath(path, 'name'), errors);
  const matchesPath = fieldPath(path, 'matches');
  const matches: string[] = [];
  optionalList(own(rule, 'matches'), matchesPath, errors)?.forEach((item, i) => {
    const match = expectNonEmptyString(item, fieldPath(matchesPath, i), errors);
    if (match !== undefined) matches.push(match);
  });
  if (errors.length > before || !isRouteKind(kind) || name === undefined) return undefined;
  return { kind, name, matches };
}

function validateTrafficTarget(value: unknown, apiVersion: string): Result<TrafficTarget> {
  const errors: ErrorSink = [];
  const { meta, spec } = readEnvelope(value, apiVersion, 'TrafficTarget', errors);
  if (spec === undefined) return fail(errors);
  const namespace = meta?.namespace;
  const destination = readSubject(own(spec, 'destination'), 'spec.destination', namespace, errors);
  const sources: ServiceAccountSubject[] = [];
  optionalList(own(spec, 'sources'), 'spec.sources', errors)?.forEach((item, i) => {
    const path = fieldPath('spec.sources', i);
    const source = readSubject(item, path, namespace, errors);
    if (source === undefined) return;
    if (source.port !== undefined) {
      errors.push({ path: fieldPath(path, 'port'), message: 'is only allowed on the destination' });
      return;
    }
    sources.push(source);
  });
  const rules: TrafficTargetRule[] = [];
  optionalList(own(spec, 'rules'), 'spec.rules', errors)?.forEach((item, i) => {
    const rule = readRule(item, fieldPath('spec.rules', i), errors);
    if (rule !== undefined) rules.push(rule);
  });
  if (errors.length > 0 || meta === undefined || destination === undefined) return fail(errors);
  return ok({ ...meta, kind: 'TrafficTarget', destination, sources, rules });
}

/** access.smi-spec.io/v1alpha2 TrafficTarget (rules reference specs.smi-spec.io/v1alpha3 routes). */
export function validateTrafficTargetV1alpha2(value: unknown): Result<TrafficTarget> {
  return validateTrafficTarget(value, `${ACCESS_GROUP}/v1alpha2`);
}

/** access.smi-spec.io/v1alpha3 TrafficTarget (rules reference specs.smi-spec.io/v1alpha4 routes). */
export function validateTrafficTargetV1alpha3(value: unknown): Result<TrafficTarget> {
  return validateTrafficTarget(value, `${ACCESS_GROUP}/v1alpha3`);
}
