/**
 * Between the kube-system ConfigMap objects and the pure cluster-DNS planners: which ConfigMaps a
 * `--cluster-dns` mode looks at, and the object to PUT for one data change. Pure.
 */
import { isRecord } from '@nodemesh/kube-runtime';
import type { FieldError, Result } from '@nodemesh/smi-types';
import type {
  ClusterDnsConfigMapName,
  ClusterDnsConfigMaps,
  ConfigMapData,
  ConfigMapDataChange,
} from '../cluster-dns/plan.js';
import type { ClusterDnsMode } from '../config/controller-config.js';

export const CLUSTER_DNS_NAMESPACE = 'kube-system';
export const CLUSTER_DNS_CONFIG_MAPS: readonly ClusterDnsConfigMapName[] = [
  'coredns',
  'coredns-custom',
  'kube-dns',
];

/** The ConfigMaps a mode may read and change. `coredns-custom` also sees the Corefile, to clean a stale block. */
function namesFor(mode: Exclude<ClusterDnsMode, 'none'>): readonly ClusterDnsConfigMapName[] {
  switch (mode) {
    case 'auto':
      return CLUSTER_DNS_CONFIG_MAPS;
    case 'coredns':
      return ['coredns'];
    case 'coredns-custom':
      return ['coredns-custom', 'coredns'];
    case 'kube-dns':
      return ['kube-dns'];
  }
}

/**
 * The planner's view of the ConfigMaps for a mode: name → data (an absent ConfigMap is left out; one without
 * data reads as empty). A forced `coredns-custom` whose ConfigMap is missing is an error, not a fallback.
 */
export function configMapView(
  objects: ReadonlyMap<string, unknown>,
  mode: Exclude<ClusterDnsMode, 'none'>,
): Result<ClusterDnsConfigMaps> {
  const view: Partial<Record<ClusterDnsConfigMapName, ConfigMapData>> = {};
  for (const name of namesFor(mode)) {
    const obj = objects.get(name);
    if (obj === undefined) continue;
    view[name] = isRecord(obj) && isRecord(obj.data) ? obj.data : {};
  }
  if (mode === 'coredns-custom' && view['coredns-custom'] === undefined) {
    const error: FieldError = {
      path: '',
      message: `--cluster-dns coredns-custom: the ConfigMap ${CLUSTER_DNS_NAMESPACE}/coredns-custom does not exist`,
    };
    return { ok: false, errors: [error] };
  }
  return { ok: true, value: view };
}

/** The ConfigMap with one change applied; keeps every other field, and the resourceVersion (a race is a 409). */
export function changedConfigMap(current: unknown, change: ConfigMapDataChange): Record<string, unknown> {
  const object = isRecord(current) ? current : {};
  const data: Record<string, unknown> = { ...(isRecord(object.data) ? object.data : {}), ...change.set };
  for (const key of change.remove) delete data[key];
  return { ...object, apiVersion: 'v1', kind: 'ConfigMap', data };
}

/**
 * The planning problems grouped by the ConfigMap they are about (an error's path starts with its name:
 * `coredns.data.Corefile`); problems about no ConfigMap in particular (no DNS Service, none of them exists)
 * are left out.
 */
export function problemsByConfigMap(
  problems: readonly FieldError[],
): Map<ClusterDnsConfigMapName, FieldError[]> {
  const grouped = new Map<ClusterDnsConfigMapName, FieldError[]>();
  for (const problem of problems) {
    const name = CLUSTER_DNS_CONFIG_MAPS.find((n) => problem.path.startsWith(`${n}.`));
    if (name === undefined) continue;
    grouped.set(name, [...(grouped.get(name) ?? []), problem]);
  }
  return grouped;
}

/** The IPv4/IPv6 ClusterIP of the DNS Service, or why there is none. */
export function dnsServiceAddress(service: unknown, description: string): Result<string> {
  const spec = isRecord(service) && isRecord(service.spec) ? service.spec : undefined;
  if (spec === undefined) {
    return {
      ok: false,
      errors: [
        { path: '', message: `Service ${description} not found: the cluster DNS has nothing to forward to` },
      ],
    };
  }
  const ip = spec.clusterIP;
  if (typeof ip !== 'string' || ip === '' || ip === 'None') {
    return {
      ok: false,
      errors: [{ path: 'spec.clusterIP', message: `Service ${description} has no ClusterIP to forward to` }],
    };
  }
  return { ok: true, value: ip };
}
