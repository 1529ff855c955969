/**
 * RBAC grants exactly the API calls docs/components.md lists for each component, and nothing more: the effective
 * permissions of each ServiceAccount, computed from every Role, ClusterRole and binding, equal the table below.
 */
import { describe, expect, it } from 'vitest';
import { DEPLOY_DIR, expandKustomization, isRecord, type KubeObject } from './manifests.js';

const objects = expandKustomization(DEPLOY_DIR, { withoutCrds: true });

type Grant = string;
/** `<serviceaccount> <namespace or *> <group>/<resource> <verb> <name or *>`; the core group is written "core". */
const grant = (sa: string, scope: string, group: string, resource: string, verb: string, name = '*'): Grant =>
  `${sa} ${scope} ${group || 'core'}/${resource} ${verb} ${name}`;

const expand = (
  sa: string,
  scope: string,
  groups: string[],
  resources: string[],
  verbs: string[],
  names: string[] = ['*'],
): Grant[] =>
  groups.flatMap((g) =>
    resources.flatMap((r) => verbs.flatMap((v) => names.map((n) => grant(sa, scope, g, r, v, n)))),
  );

const DNS = 'nodemesh-dns-controller';
const PROXY = 'nodemesh-node-proxy';
const READ = ['get', 'list', 'watch'];
/** Informers list and watch; they never get a single object. */
const WATCH = ['list', 'watch'];
const GATEWAY = 'gateway.networking.k8s.io';

/** docs/components.md, "API calls it makes", one line per call. */
const EXPECTED: Grant[] = [
  ...expand(DNS, '*', [''], ['services'], READ),
  // An informer lists and watches; the dns-controller never gets a single pod.
  ...expand(DNS, '*', [''], ['pods'], WATCH),
  ...expand(DNS, 'nodemesh', [''], ['services'], ['create', 'update', 'delete']),
  ...expand(DNS, '*', [''], ['events'], ['create', 'patch']),
  ...expand(
    DNS,
    'kube-system',
    [''],
    ['configmaps'],
    [...READ, 'update'],
    ['coredns', 'coredns-custom', 'kube-dns'],
  ),
  // RBAC cannot restrict create by name; everything else on the Lease is restricted to it.
  ...expand(DNS, 'nodemesh', ['coordination.k8s.io'], ['leases'], ['create']),
  ...expand(
    DNS,
    'nodemesh',
    ['coordination.k8s.io'],
    ['leases'],
    ['get', 'update'],
    ['nodemesh-dns-controller'],
  ),
  // Gateway API mesh routes: read, and status written by the leader through the status subresource only.
  ...expand(DNS, '*', [GATEWAY], ['httproutes', 'grpcroutes', 'tcproutes', 'referencegrants'], WATCH),
  ...expand(DNS, '*', [GATEWAY], ['httproutes/status', 'grpcroutes/status', 'tcproutes/status'], ['update']),
  // The identity role (docs/identity.md): TokenReview of node-proxy tokens; the issuer Secret, watched by name
  // and created once when absent (create cannot be narrowed by name, and reads nothing); the trust bundle.
  ...expand(DNS, '*', ['authentication.k8s.io'], ['tokenreviews'], ['create']),
  ...expand(DNS, 'nodemesh', [''], ['secrets'], ['create']),
  ...expand(DNS, 'nodemesh', [''], ['secrets'], WATCH, ['nodemesh-identity-issuer']),
  ...expand(DNS, 'nodemesh', [''], ['configmaps'], ['create']),
  ...expand(DNS, 'nodemesh', [''], ['configmaps'], ['get', 'update'], ['nodemesh-trust-bundle']),
  // mTLS (docs/mtls.md): the Namespaces' mode annotation; in strict mode a NetworkPolicy per strict Service,
  // in the Service's namespace (found by its labels: RBAC cannot narrow by label).
  ...expand(DNS, '*', [''], ['namespaces'], WATCH),
  ...expand(DNS, '*', ['networking.k8s.io'], ['networkpolicies'], [...WATCH, 'create', 'update', 'delete']),

  ...expand(PROXY, '*', [''], ['services'], WATCH),
  ...expand(PROXY, '*', ['discovery.k8s.io'], ['endpointslices'], WATCH),
  ...expand(PROXY, '*', [''], ['pods'], WATCH),
  ...expand(PROXY, '*', ['access.smi-spec.io'], ['traffictargets'], WATCH),
  ...expand(PROXY, '*', ['specs.smi-spec.io'], ['httproutegroups', 'tcproutes', 'udproutes'], WATCH),
  ...expand(PROXY, '*', ['split.smi-spec.io'], ['trafficsplits'], WATCH),
  ...expand(PROXY, '*', [GATEWAY], ['httproutes', 'grpcroutes', 'tcproutes', 'referencegrants'], WATCH),
  ...expand(PROXY, '*', [''], ['events'], ['create', 'patch']),
  ...expand(PROXY, 'nodemesh', [''], ['configmaps'], WATCH, ['nodemesh-trust-bundle']),
];

const strings = (value: unknown): string[] =>
  Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
const recordList = (value: unknown): Record<string, unknown>[] =>
  Array.isArray(value) ? value.filter(isRecord) : [];

/** Every permission the bindings give to a ServiceAccount of the install. */
function effectiveGrants(all: readonly KubeObject[]): Grant[] {
  const roles = new Map<string, KubeObject>();
  for (const o of all) {
    if (o.kind === 'Role') roles.set(`Role/${o.metadata.namespace}/${o.metadata.name}`, o);
    if (o.kind === 'ClusterRole') roles.set(`ClusterRole//${o.metadata.name}`, o);
  }
  const grants: Grant[] = [];
  for (const binding of all.filter((o) => o.kind === 'RoleBinding' || o.kind === 'ClusterRoleBinding')) {
    const ref = isRecord(binding.roleRef) ? binding.roleRef : {};
    const roleNamespace = ref.kind === 'Role' ? binding.metadata.namespace : '';
    const role = roles.get(`${String(ref.kind)}/${roleNamespace}/${String(ref.name)}`);
    if (role === undefined)
      throw new Error(`${binding.kind} ${binding.metadata.name}: role ${String(ref.name)} not found`);
    const scope = binding.kind === 'ClusterRoleBinding' ? '*' : String(binding.metadata.namespace);
    for (const subject of recordList(binding.subjects)) {
      if (subject.kind !== 'ServiceAccount')
        throw new Error(`${binding.metadata.name}: binds a ${String(subject.kind)}`);
      const sa = String(subject.name);
      for (const rule of recordList(role.rules)) {
        if (rule.nonResourceURLs !== undefined)
          throw new Error(`${role.metadata.name}: grants nonResourceURLs`);
        const names = strings(rule.resourceNames);
        grants.push(
          ...expand(
            sa,
            scope,
            strings(rule.apiGroups),
            strings(rule.resources),
            strings(rule.verbs),
            names.length > 0 ? names : ['*'],
          ),
        );
      }
    }
  }
  return grants;
}

describe('RBAC', () => {
  const actual = effectiveGrants(objects);

  it('grants each component exactly the API calls of docs/components.md', () => {
    expect([...new Set(actual)].sort()).toEqual([...new Set(EXPECTED)].sort());
  });

  it('reads no Secret but the issuer’s, and only the dns-controller does, in the mesh namespace', () => {
    const secretGrants = actual.filter((g) => g.includes(' core/secrets '));
    expect([...new Set(secretGrants)].sort()).toEqual([
      `${DNS} nodemesh core/secrets create *`,
      `${DNS} nodemesh core/secrets list nodemesh-identity-issuer`,
      `${DNS} nodemesh core/secrets watch nodemesh-identity-issuer`,
    ]);
  });

  it('uses no wildcards, no privilege-escalating verbs, and Secrets only in the identity Role', () => {
    const rules = objects
      .filter((o) => o.kind === 'Role' || o.kind === 'ClusterRole')
      .flatMap((r) => recordList(r.rules));
    expect(rules.length).toBeGreaterThan(0);
    for (const rule of rules) {
      for (const field of ['apiGroups', 'resources', 'verbs', 'resourceNames']) {
        expect(strings(rule[field]), field).not.toContain('*');
      }
      if (strings(rule.resources).includes('secrets')) {
        expect(strings(rule.resources), 'secrets in a rule of their own').toEqual(['secrets']);
        const names = strings(rule.resourceNames);
        if (names.length === 0) expect(strings(rule.verbs)).toEqual(['create']);
        else expect(names).toEqual(['nodemesh-identity-issuer']);
      }
      for (const verb of ['escalate', 'bind', 'impersonate', 'deletecollection']) {
        expect(strings(rule.verbs)).not.toContain(verb);
      }
    }
  });

  it('binds only ServiceAccounts of the install, in the mesh namespace', () => {
    const serviceAccounts = objects.filter((o) => o.kind === 'ServiceAccount').map((o) => o.metadata.name);
    const subjects = objects
      .filter((o) => o.kind.endsWith('Binding'))
      .flatMap((b) => recordList(b.subjects))
      .map((s) => `${String(s.namespace)}/${String(s.name)}`);
    for (const subject of subjects) {
      expect(serviceAccounts.map((sa) => `nodemesh/${sa}`)).toContain(subject);
    }
  });

  it('names the Lease the dns-controller is configured to use', () => {
    const config = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === DNS);
    const data = isRecord(config?.data) ? config.data : {};
    expect(data.NODEMESH_LEASE_NAME).toBe('nodemesh-dns-controller');
  });

  it('would notice an extra grant', () => {
    const extra = structuredClone(objects).map((o) =>
      o.kind === 'ClusterRole' && o.metadata.name === PROXY
        ? {
            ...o,
            rules: [...recordList(o.rules), { apiGroups: [''], resources: ['secrets'], verbs: ['get'] }],
          }
        : o,
    );
    expect(effectiveGrants(extra)).toContain(grant(PROXY, '*', '', 'secrets', 'get'));
  });
});
