/**
 * The RBAC rules bound to one ServiceAccount, and the authorizer's decision on one API call, so a test can
 * check recorded calls against the shipped manifests the way kube-apiserver's RBAC authorizer would.
 */
import type { AuditCall } from '@nodemesh/apiserver';
import { isRecord, type KubeObject } from './manifests.js';

/** One PolicyRule as bound: `scope` is the RoleBinding's namespace, or `*` for a ClusterRoleBinding. */
export interface BoundRule {
  readonly binding: string;
  readonly scope: string;
  readonly apiGroups: readonly string[];
  readonly resources: readonly string[];
  readonly verbs: readonly string[];
  readonly resourceNames: readonly string[];
}

const strings = (value: unknown): string[] =>
  Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
const records = (value: unknown): Record<string, unknown>[] =>
  Array.isArray(value) ? value.filter(isRecord) : [];

/** Every rule a binding gives the ServiceAccount `namespace/name`. Throws on a dangling roleRef. */
export function rulesBoundTo(objects: readonly KubeObject[], namespace: string, name: string): BoundRule[] {
  const rules: BoundRule[] = [];
  for (const binding of objects.filter((o) => o.kind === 'RoleBinding' || o.kind === 'ClusterRoleBinding')) {
    const bindsIt = records(binding.subjects).some(
      (s) => s.kind === 'ServiceAccount' && s.name === name && s.namespace === namespace,
    );
    if (!bindsIt) continue;
    const ref = isRecord(binding.roleRef) ? binding.roleRef : {};
    const role = objects.find(
      (o) =>
        o.kind === ref.kind &&
        o.metadata.name === ref.name &&
        (o.kind === 'ClusterRole' || o.metadata.namespace === binding.metadata.namespace),
    );
    if (role === undefined)
      throw new Error(
        `${binding.kind} ${binding.metadata.name}: ${String(ref.kind)} ${String(ref.name)} not found`,
      );
    const scope = binding.kind === 'ClusterRoleBinding' ? '*' : String(binding.metadata.namespace);
    for (const rule of records(role.rules)) {
      rules.push({
        binding: `${binding.kind} ${binding.metadata.namespace ?? ''}/${binding.metadata.name}`,
        scope,
        apiGroups: strings(rule.apiGroups),
        resources: strings(rule.resources),
        verbs: strings(rule.verbs),
        resourceNames: strings(rule.resourceNames),
      });
    }
  }
  return rules;
}

const resourceOf = (call: AuditCall): string =>
  call.subresource === undefined ? call.resource : `${call.resource}/${call.subresource}`;

/** Whether one bound rule allows a call (no wildcards: the shipped rules use none, rbac.test.ts checks it). */
export function ruleAllows(rule: BoundRule, call: AuditCall): boolean {
  if (rule.scope !== '*' && rule.scope !== call.namespace) return false;
  if (!rule.apiGroups.includes(call.apiGroup)) return false;
  if (!rule.resources.includes(resourceOf(call))) return false;
  if (!rule.verbs.includes(call.verb)) return false;
  if (rule.resourceNames.length === 0) return true;
  return call.name !== undefined && rule.resourceNames.includes(call.name);
}

/** `verb group/resource[/sub] in ns [name]`, for failure messages; the core group is written "core". */
export function describeCall(call: AuditCall): string {
  const where = call.namespace === undefined ? 'cluster-wide' : `in ${call.namespace}`;
  const name = call.name === undefined ? '' : ` name=${call.name}`;
  return `${call.verb} ${call.apiGroup || 'core'}/${resourceOf(call)} ${where}${name}`;
}

/** One (verb, group, resource) a rule grants, with where it is bound: `verb group/resource (binding)`. */
export interface Grant {
  readonly rule: BoundRule;
  readonly verb: string;
  readonly apiGroup: string;
  readonly resource: string;
  readonly label: string;
}

export function grantsOf(rules: readonly BoundRule[]): Grant[] {
  return rules.flatMap((rule) =>
    rule.apiGroups.flatMap((apiGroup) =>
      rule.resources.flatMap((resource) =>
        rule.verbs.map((verb) => ({
          rule,
          verb,
          apiGroup,
          resource,
          label: `${verb} ${apiGroup || 'core'}/${resource} (${rule.binding})`,
        })),
      ),
    ),
  );
}

/** Whether a call uses this very grant: the grant's rule allows it, and it is this verb on this resource. */
export function callUsesGrant(grant: Grant, call: AuditCall): boolean {
  return (
    call.verb === grant.verb &&
    call.apiGroup === grant.apiGroup &&
    resourceOf(call) === grant.resource &&
    ruleAllows(grant.rule, call)
  );
}
