/**
 * The Kubernetes permissions each command needs, exactly: e2e/cli/cli-rbac.test.ts records every API call
 * each command makes and checks it against this table (and that every line is used); docs/cli.md shows the
 * table as renderPermissions prints it. `/version` is a non-resource URL every authenticated user may read.
 */
export type Scope =
  | 'mesh namespace'
  | 'kube-system'
  | 'namespace asked (-n), or all with -A'
  | 'all namespaces'
  | 'namespaces of strict Services'
  | 'cluster';

export interface Permission {
  readonly verbs: readonly string[];
  /** "" for the core group. */
  readonly apiGroup: string;
  readonly resource: string;
  readonly scope: Scope;
  /** RBAC resourceNames, when the command touches only these. */
  readonly names?: readonly string[];
  /** Only with this flag. */
  readonly flag?: string;
}

const INSTALL_KINDS: readonly Omit<Permission, 'verbs'>[] = [
  { apiGroup: '', resource: 'namespaces', scope: 'cluster' },
  { apiGroup: 'apiextensions.k8s.io', resource: 'customresourcedefinitions', scope: 'cluster' },
  { apiGroup: 'rbac.authorization.k8s.io', resource: 'clusterroles', scope: 'cluster' },
  { apiGroup: 'rbac.authorization.k8s.io', resource: 'clusterrolebindings', scope: 'cluster' },
  { apiGroup: 'rbac.authorization.k8s.io', resource: 'roles', scope: 'mesh namespace' },
  { apiGroup: 'rbac.authorization.k8s.io', resource: 'rolebindings', scope: 'mesh namespace' },
  { apiGroup: 'rbac.authorization.k8s.io', resource: 'roles', scope: 'kube-system' },
  { apiGroup: 'rbac.authorization.k8s.io', resource: 'rolebindings', scope: 'kube-system' },
  { apiGroup: '', resource: 'serviceaccounts', scope: 'mesh namespace' },
  { apiGroup: '', resource: 'configmaps', scope: 'mesh namespace' },
  { apiGroup: '', resource: 'services', scope: 'mesh namespace' },
  { apiGroup: 'apps', resource: 'deployments', scope: 'mesh namespace' },
  { apiGroup: 'apps', resource: 'daemonsets', scope: 'mesh namespace' },
  { apiGroup: 'policy', resource: 'poddisruptionbudgets', scope: 'mesh namespace' },
  { apiGroup: 'networking.k8s.io', resource: 'networkpolicies', scope: 'mesh namespace' },
];

const CLUSTER_DNS = ['coredns', 'coredns-custom', 'kube-dns'];

export const COMMAND_PERMISSIONS: Readonly<Record<string, readonly Permission[]>> = {
  check: [
    { verbs: ['list'], apiGroup: '', resource: 'pods', scope: 'mesh namespace' },
    { verbs: ['get'], apiGroup: '', resource: 'pods/proxy', scope: 'mesh namespace' },
    { verbs: ['get'], apiGroup: '', resource: 'configmaps', scope: 'mesh namespace' },
    { verbs: ['get'], apiGroup: '', resource: 'configmaps', scope: 'kube-system', names: CLUSTER_DNS },
    {
      verbs: ['get'],
      apiGroup: 'apiextensions.k8s.io',
      resource: 'customresourcedefinitions',
      scope: 'cluster',
    },
    {
      verbs: ['get'],
      apiGroup: 'apps',
      resource: 'deployments',
      scope: 'mesh namespace',
      names: ['nodemesh-dns-controller'],
    },
    {
      verbs: ['get'],
      apiGroup: 'coordination.k8s.io',
      resource: 'leases',
      scope: 'mesh namespace',
      names: ['nodemesh-dns-controller'],
    },
    { verbs: ['get'], apiGroup: '', resource: 'services', scope: 'mesh namespace', names: ['nodemesh-dns'] },
    { verbs: ['list'], apiGroup: '', resource: 'nodes', scope: 'cluster' },
    { verbs: ['list'], apiGroup: '', resource: 'services', scope: 'all namespaces' },
    { verbs: ['list'], apiGroup: '', resource: 'events', scope: 'all namespaces' },
  ],
  'check --pre': [
    ...INSTALL_KINDS.map((kind) => ({ ...kind, verbs: ['create'] })),
    { verbs: ['get'], apiGroup: '', resource: 'configmaps', scope: 'kube-system', names: CLUSTER_DNS },
    { verbs: ['list'], apiGroup: '', resource: 'namespaces', scope: 'cluster' },
    {
      verbs: ['list'],
      apiGroup: 'apiextensions.k8s.io',
      resource: 'customresourcedefinitions',
      scope: 'cluster',
    },
  ],
  stat: [
    { verbs: ['list'], apiGroup: '', resource: 'pods', scope: 'mesh namespace' },
    { verbs: ['get'], apiGroup: '', resource: 'pods/proxy', scope: 'mesh namespace' },
    { verbs: ['list'], apiGroup: '', resource: 'services', scope: 'namespace asked (-n), or all with -A' },
  ],
  config: [
    { verbs: ['list'], apiGroup: '', resource: 'pods', scope: 'mesh namespace' },
    // A WebSocket upgrade is a GET; API servers that also check `create` on it need both.
    { verbs: ['get', 'create'], apiGroup: '', resource: 'pods/portforward', scope: 'mesh namespace' },
  ],
  version: [
    { verbs: ['list'], apiGroup: '', resource: 'pods', scope: 'mesh namespace' },
    { verbs: ['get'], apiGroup: '', resource: 'pods/proxy', scope: 'mesh namespace' },
  ],
  install: [],
  uninstall: [
    { verbs: ['list'], apiGroup: '', resource: 'pods', scope: 'mesh namespace' },
    { verbs: ['get'], apiGroup: '', resource: 'configmaps', scope: 'mesh namespace' },
    {
      verbs: ['get', 'update'],
      apiGroup: '',
      resource: 'configmaps',
      scope: 'kube-system',
      names: CLUSTER_DNS,
    },
    { verbs: ['list'], apiGroup: '', resource: 'services', scope: 'mesh namespace' },
    // The strict-mode NetworkPolicies of the dns-controller (docs/mtls.md), found by label.
    { verbs: ['list'], apiGroup: 'networking.k8s.io', resource: 'networkpolicies', scope: 'all namespaces' },
    {
      verbs: ['delete'],
      apiGroup: 'networking.k8s.io',
      resource: 'networkpolicies',
      scope: 'namespaces of strict Services',
    },
    ...INSTALL_KINDS.map((kind) =>
      kind.resource === 'customresourcedefinitions'
        ? { ...kind, verbs: ['delete'], flag: '--crds' }
        : { ...kind, verbs: ['delete'] },
    ),
  ],
};

/** The table as Markdown, for docs/cli.md. */
export function renderPermissions(): string {
  const lines = ['| command | verbs | resource | where |', '| --- | --- | --- | --- |'];
  for (const [command, permissions] of Object.entries(COMMAND_PERMISSIONS)) {
    if (permissions.length === 0) lines.push(`| \`${command}\` | none: it calls no API | | |`);
    for (const p of permissions) {
      const resource = `${p.apiGroup === '' ? '' : `${p.apiGroup}/`}${p.resource}`;
      const names = p.names === undefined ? '' : ` (${p.names.join(', ')})`;
      const flag = p.flag === undefined ? '' : ` (with ${p.flag})`;
      lines.push(`| \`${command}\` | ${p.verbs.join(', ')} | ${resource}${names} | ${p.scope}${flag} |`);
    }
  }
  return `${lines.join('\n')}\n`;
}
