import type { ResourceType } from './resource-type.js';

function builtin(
  group: string,
  version: string,
  plural: string,
  kind: string,
  namespaced: boolean,
  shortNames: string[] = [],
  hasStatus = false,
  categories: string[] = [],
): ResourceType {
  return {
    group,
    version,
    plural,
    singular: kind.toLowerCase(),
    kind,
    listKind: `${kind}List`,
    namespaced,
    shortNames,
    categories,
    hasStatus,
  };
}

/** The built-in resources this server serves, in discovery order. */
export const builtinResources: readonly ResourceType[] = [
  builtin('', 'v1', 'namespaces', 'Namespace', false, ['ns'], true),
  builtin('', 'v1', 'services', 'Service', true, ['svc'], true, ['all']),
  builtin('', 'v1', 'endpoints', 'Endpoints', true, ['ep']),
  builtin('', 'v1', 'pods', 'Pod', true, ['po'], true, ['all']),
  builtin('', 'v1', 'configmaps', 'ConfigMap', true, ['cm']),
  {
    ...builtin('', 'v1', 'serviceaccounts', 'ServiceAccount', true, ['sa']),
    subresources: [
      { name: 'token', group: 'authentication.k8s.io', kind: 'TokenRequest', verbs: ['create'] },
    ],
  },
  builtin('', 'v1', 'events', 'Event', true, ['ev']),
  builtin('', 'v1', 'nodes', 'Node', false, ['no'], true),
  builtin('', 'v1', 'secrets', 'Secret', true),
  builtin('discovery.k8s.io', 'v1', 'endpointslices', 'EndpointSlice', true),
  builtin('coordination.k8s.io', 'v1', 'leases', 'Lease', true),
  builtin('apps', 'v1', 'deployments', 'Deployment', true, ['deploy'], true, ['all']),
  builtin('apps', 'v1', 'daemonsets', 'DaemonSet', true, ['ds'], true, ['all']),
  builtin('apps', 'v1', 'replicasets', 'ReplicaSet', true, ['rs'], true, ['all']),
  builtin('apps', 'v1', 'statefulsets', 'StatefulSet', true, ['sts'], true, ['all']),
  builtin('policy', 'v1', 'poddisruptionbudgets', 'PodDisruptionBudget', true, ['pdb'], true),
  builtin('networking.k8s.io', 'v1', 'networkpolicies', 'NetworkPolicy', true, ['netpol']),
  // Stored so manifests with RBAC apply; nothing is enforced (there is no authorization at all).
  builtin('rbac.authorization.k8s.io', 'v1', 'roles', 'Role', true),
  builtin('rbac.authorization.k8s.io', 'v1', 'rolebindings', 'RoleBinding', true),
  builtin('rbac.authorization.k8s.io', 'v1', 'clusterroles', 'ClusterRole', false),
  builtin('rbac.authorization.k8s.io', 'v1', 'clusterrolebindings', 'ClusterRoleBinding', false),
  builtin('events.k8s.io', 'v1', 'events', 'Event', true),
  // Not stored: created to check a token (src/auth/).
  { ...builtin('authentication.k8s.io', 'v1', 'tokenreviews', 'TokenReview', false), verbs: ['create'] },
  builtin(
    'apiextensions.k8s.io',
    'v1',
    'customresourcedefinitions',
    'CustomResourceDefinition',
    false,
    ['crd', 'crds'],
    true,
    ['api-extensions'],
  ),
];
