/** API paths of the kinds the install holds (a fixed table: the CLI needs no discovery for its own objects). */
export interface ObjectRef {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { readonly name: string; readonly namespace?: string };
}

const PLURALS: Readonly<Record<string, { plural: string; namespaced: boolean }>> = {
  Namespace: { plural: 'namespaces', namespaced: false },
  CustomResourceDefinition: { plural: 'customresourcedefinitions', namespaced: false },
  ClusterRole: { plural: 'clusterroles', namespaced: false },
  ClusterRoleBinding: { plural: 'clusterrolebindings', namespaced: false },
  Role: { plural: 'roles', namespaced: true },
  RoleBinding: { plural: 'rolebindings', namespaced: true },
  ServiceAccount: { plural: 'serviceaccounts', namespaced: true },
  ConfigMap: { plural: 'configmaps', namespaced: true },
  Service: { plural: 'services', namespaced: true },
  Deployment: { plural: 'deployments', namespaced: true },
  DaemonSet: { plural: 'daemonsets', namespaced: true },
  PodDisruptionBudget: { plural: 'poddisruptionbudgets', namespaced: true },
  NetworkPolicy: { plural: 'networkpolicies', namespaced: true },
  Job: { plural: 'jobs', namespaced: true },
};

/** `/api/v1/namespaces/nodemesh/configmaps` and the like; throws for a kind not in the table. */
export function collectionPath(object: ObjectRef): string {
  const entry = PLURALS[object.kind];
  if (entry === undefined) throw new Error(`no API path known for kind ${object.kind}`);
  const base = object.apiVersion.includes('/') ? `/apis/${object.apiVersion}` : `/api/${object.apiVersion}`;
  if (!entry.namespaced) return `${base}/${entry.plural}`;
  return `${base}/namespaces/${encodeURIComponent(object.metadata.namespace ?? 'default')}/${entry.plural}`;
}

export function objectPath(object: ObjectRef): string {
  return `${collectionPath(object)}/${encodeURIComponent(object.metadata.name)}`;
}
