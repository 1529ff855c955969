/**
 * `nodemesh check --pre`: what the cluster must offer before install. Reads (gatherPre) and pure judgements
 * (preChecks). Permissions are tested by asking the API server to dry-run the creation of every object of
 * the install (`dryRun=All`: nothing is stored): authorization runs before anything else, so only a 403
 * means the permission is missing.
 */

import type { ManifestObject } from '../install/kustomize.js';
import { collectionPath } from '../install/object-paths.js';
import type { Cluster } from '../kube/cluster.js';
import { type CheckResult, ok, problem } from './check-result.js';

const MIN_MINOR = 26;
/** Namespaces and API groups of meshes that would fight over the same traffic or the SMI CRDs. */
const OTHER_MESH_NAMESPACES = [
  'istio-system',
  'linkerd',
  'osm-system',
  'traefik-mesh',
  'maesh',
  'kuma-system',
  'consul',
];
const OTHER_MESH_GROUPS = ['istio.io', 'linkerd.io', 'openservicemesh.io', 'kuma.io', 'consul.hashicorp.com'];
const SMI_GROUPS = ['access.smi-spec.io', 'specs.smi-spec.io', 'split.smi-spec.io'];

export interface PreObservation {
  readonly server: string;
  readonly version:
    | { readonly major: string; readonly minor: string; readonly gitVersion: string }
    | undefined;
  /** Objects of the install whose dry-run creation was refused with 403, as `Kind name`. */
  readonly forbidden: readonly string[];
  readonly tried: number;
  readonly clusterDnsConfigMaps: readonly string[];
  readonly namespaces: readonly string[];
  /** Every CRD: name, group and whether Nodemesh's label is on it. */
  readonly crds: readonly { readonly name: string; readonly group: string; readonly ours: boolean }[];
  readonly meshNamespace: string;
}

const PRE = 'Before install';

export function preChecks(o: PreObservation): CheckResult[] {
  const results: CheckResult[] = [];
  const minor = Number.parseInt(o.version?.minor ?? '', 10);
  if (o.version === undefined || !Number.isFinite(minor)) {
    results.push(problem('warn', PRE, `Kubernetes version unknown at ${o.server}`, 'kubectl version'));
  } else if (o.version.major !== '1' || minor < MIN_MINOR) {
    results.push(
      problem(
        'fail',
        PRE,
        `Kubernetes ${o.version.gitVersion} is older than 1.${MIN_MINOR}`,
        `upgrade the cluster to 1.${MIN_MINOR} or newer (internalTrafficPolicy: Local)`,
      ),
    );
  } else {
    results.push(ok(PRE, `Kubernetes ${o.version.gitVersion} (1.${MIN_MINOR} or newer)`));
  }
  if (o.forbidden.length === 0) {
    results.push(ok(PRE, `permission to create every object of the install (${o.tried})`));
  } else {
    results.push(
      problem(
        'fail',
        PRE,
        `not allowed to create: ${o.forbidden.join(', ')}`,
        'install as a cluster admin, or see docs/cli.md for the permissions install needs',
      ),
    );
  }
  if (o.clusterDnsConfigMaps.length > 0) {
    results.push(ok(PRE, `cluster DNS found: kube-system/${o.clusterDnsConfigMaps.join(', kube-system/')}`));
  } else {
    results.push(
      problem(
        'fail',
        PRE,
        'no CoreDNS or kube-dns ConfigMap in kube-system',
        'the dns-controller cannot add its forward block: install with NODEMESH_CLUSTER_DNS=none and forward the mesh zone yourself (docs/install.md)',
      ),
    );
  }
  const foreignSmi = o.crds.filter((c) => SMI_GROUPS.includes(c.group) && !c.ours);
  if (foreignSmi.length > 0) {
    results.push(
      problem(
        'fail',
        PRE,
        `SMI CRDs installed by another mesh: ${foreignSmi.map((c) => c.name).join(', ')}`,
        'uninstall that mesh first (Open Service Mesh, Traefik Mesh): two controllers would act on the same SMI resources',
      ),
    );
  }
  const meshes = [
    ...o.namespaces.filter((n) => OTHER_MESH_NAMESPACES.includes(n)).map((n) => `namespace ${n}`),
    ...[
      ...new Set(
        o.crds
          .map((c) => c.group)
          .filter((g) => OTHER_MESH_GROUPS.some((m) => g === m || g.endsWith(`.${m}`))),
      ),
    ].map((g) => `API group ${g}`),
  ];
  if (meshes.length > 0) {
    results.push(
      problem(
        'warn',
        PRE,
        `another service mesh is installed: ${meshes.join(', ')}`,
        'keep its sidecars out of the pods that call through Nodemesh, or uninstall it',
      ),
    );
  } else if (foreignSmi.length === 0) {
    results.push(ok(PRE, 'no other service mesh found'));
  }
  if (o.namespaces.includes(o.meshNamespace)) {
    results.push(
      problem(
        'warn',
        PRE,
        `namespace ${o.meshNamespace} exists already`,
        'Nodemesh may be installed: run nodemesh check',
      ),
    );
  }
  return results;
}

const isRec = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

export async function gatherPre(
  cluster: Cluster,
  install: readonly ManifestObject[],
  meshNamespace: string,
): Promise<PreObservation> {
  const version = await cluster.get('/version');
  const forbidden: string[] = [];
  for (const object of install) {
    const answer = await cluster.raw('POST', `${collectionPath(object)}?dryRun=All`, object);
    if (answer.status === 403 || answer.status === 401)
      forbidden.push(`${object.kind} ${object.metadata.name}`);
  }
  const clusterDnsConfigMaps: string[] = [];
  for (const name of ['coredns', 'coredns-custom', 'kube-dns']) {
    if ((await cluster.find(`/api/v1/namespaces/kube-system/configmaps/${name}`)) !== undefined)
      clusterDnsConfigMaps.push(name);
  }
  const names = (items: unknown[]) =>
    items.flatMap((item) =>
      isRec(item) && isRec(item.metadata) && typeof item.metadata.name === 'string'
        ? [item.metadata.name]
        : [],
    );
  const crdItems = await cluster.list('/apis/apiextensions.k8s.io/v1/customresourcedefinitions');
  const v = isRec(version) ? version : {};
  return {
    server: cluster.server,
    version:
      typeof v.major === 'string' && typeof v.minor === 'string'
        ? {
            major: v.major,
            minor: v.minor.replace(/\D+$/, ''),
            gitVersion: typeof v.gitVersion === 'string' ? v.gitVersion : `v${v.major}.${v.minor}`,
          }
        : undefined,
    forbidden,
    tried: install.length,
    clusterDnsConfigMaps,
    namespaces: names(await cluster.list('/api/v1/namespaces')),
    crds: crdItems.flatMap((item) => {
      if (!isRec(item) || !isRec(item.metadata) || !isRec(item.spec)) return [];
      const labels = isRec(item.metadata.labels) ? item.metadata.labels : {};
      const name = item.metadata.name;
      const group = item.spec.group;
      if (typeof name !== 'string' || typeof group !== 'string') return [];
      return [{ name, group, ours: labels['app.kubernetes.io/part-of'] === 'nodemesh' }];
    }),
    meshNamespace,
  };
}
