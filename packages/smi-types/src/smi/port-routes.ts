import type { PortMatch, TCPRoute, UDPRoute } from '../model/routes.js';
import { describeValue } from '../validation/describe.js';
import { expectPort } from '../validation/numbers.js';
import { fieldPath } from '../validation/path.js';
import {
  type ErrorSink,
  expectObject,
  optionalList,
  own,
  type UnknownObject,
} from '../validation/read-fields.js';
import { fail, ok, type Result } from '../validation/result.js';
import { readEnvelope } from './metadata.js';
import { SPECS_GROUP } from './vocabulary.js';

/**
 * Reads the v1alpha4 `spec.matches` of a TCPRoute or UDPRoute: one object (not a list) with an optional
 * name and a list of ports. Absent matches mean any port and read as no matches at all.
 */
function readPortMatches(spec: UnknownObject, errors: ErrorSink): PortMatch[] | undefined {
  const raw = own(spec, 'matches');
  if (raw === undefined || raw === null) return [];
  const match = expectObject(raw, 'spec.matches', errors);
  if (match === undefined) return undefined;
  const before = errors.length;
  const rawName = own(match, 'name');
  if (rawName !== undefined && typeof rawName !== 'string') {
    errors.push({ path: 'spec.matches.name', message: `must be a string, got ${describeValue(rawName)}` });
  }
  const ports: number[] = [];
  const seen = new Set<number>();
  optionalList(own(match, 'ports'), 'spec.matches.ports', errors)?.forEach((item, i) => {
    const path = fieldPath('spec.matches.ports', i);
    const port = expectPort(item, path, errors);
    if (port === undefined) return;
    if (seen.has(port)) {
      errors.push({ path, message: `lists port ${port} a second time` });
      return;
    }
    seen.add(port);
    ports.push(port);
  });
  if (errors.length > before) return undefined;
  return [{ name: typeof rawName === 'string' ? rawName : '', ports }];
}

/** specs.smi-spec.io/v1alpha3 TCPRoute: its spec is empty, it stands for all TCP traffic of a destination. */
export function validateTCPRouteV1alpha3(value: unknown): Result<TCPRoute> {
  const errors: ErrorSink = [];
  const { meta, spec } = readEnvelope(value, `${SPECS_GROUP}/v1alpha3`, 'TCPRoute', errors, {
    specRequired: false,
  });
  if (spec === undefined || errors.length > 0 || meta === undefined) return fail(errors);
  return ok({ ...meta, kind: 'TCPRoute', matches: [] });
}

/** specs.smi-spec.io/v1alpha4 TCPRoute. */
export function validateTCPRouteV1alpha4(value: unknown): Result<TCPRoute> {
  const errors: ErrorSink = [];
  const { meta, spec } = readEnvelope(value, `${SPECS_GROUP}/v1alpha4`, 'TCPRoute', errors, {
    specRequired: false,
  });
  const matches = spec === undefined ? undefined : readPortMatches(spec, errors);
  if (errors.length > 0 || meta === undefined || matches === undefined) return fail(errors);
  return ok({ ...meta, kind: 'TCPRoute', matches });
}

/** specs.smi-spec.io/v1alpha4 UDPRoute. */
export function validateUDPRouteV1alpha4(value: unknown): Result<UDPRoute> {
  const errors: ErrorSink = [];
  const { meta, spec } = readEnvelope(value, `${SPECS_GROUP}/v1alpha4`, 'UDPRoute', errors, {
    specRequired: false,
  });
  const matches = spec === undefined ? undefined : readPortMatches(spec, errors);
  if (errors.length > 0 || meta === undefined || matches === undefined) return fail(errors);
  return ok({ ...meta, kind: 'UDPRoute', matches });
}
