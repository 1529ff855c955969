/** TCPRoute (v1alpha2) → the mesh route model: weighted backends; its rules have no matches. */
import { type ErrorSink, expectList, expectObject, own } from '../validation/read-fields.js';
import { fail, ok, type Result } from '../validation/result.js';
import {
  checkUniqueRuleNames,
  readBackendRefs,
  readGatewayEnvelope,
  readParentRefs,
  readRuleName,
} from './fields.js';
import type { MeshTcpRoute, TcpRouteRule } from './model.js';

export function validateTcpRoute(value: unknown, apiVersion: string): Result<MeshTcpRoute> {
  const errors: ErrorSink = [];
  const { meta, spec } = readGatewayEnvelope(value, apiVersion, 'TCPRoute', errors);
  if (spec === undefined) return fail(errors);
  const parentRefs = readParentRefs(spec, meta?.namespace, errors);
  const rules: TcpRouteRule[] = [];
  const list = expectList(own(spec, 'rules'), 'spec.rules', errors) ?? [];
  if (list.length === 0 && own(spec, 'rules') !== undefined)
    errors.push({ path: 'spec.rules', message: 'must have at least one rule' });
  list.forEach((raw, i) => {
    const path = `spec.rules[${i}]`;
    const rule = expectObject(raw, path, errors);
    if (rule === undefined) return;
    const name = readRuleName(rule, path, errors);
    rules.push({ name, backends: readBackendRefs(rule, path, meta?.namespace, errors) });
  });
  checkUniqueRuleNames(list, errors);
  if (errors.length > 0 || meta === undefined) return fail(errors);
  return ok({ kind: 'TCPRoute', meta, parentRefs, rules });
}
