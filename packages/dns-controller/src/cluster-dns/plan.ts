/**
 * Decides how to point the cluster DNS at the mesh DNS server, from the kube-system ConfigMaps seen,
 * and returns the ConfigMap data changes to make (or the reason it cannot). Pure: the caller reads the
 * ConfigMaps and applies the changes.
 */
import { describeValue, type FieldError, fail, formatFieldError, ok, type Result } from '@nodemesh/smi-types';
import { CUSTOM_SERVER_KEY, renderCustomServerEntry } from './coredns-custom.js';
import { addMeshBlock, removeMeshBlock } from './corefile.js';
import { type MeshForwardTarget, validateForwardTarget } from './forward-target.js';
import { addStubDomain, removeStubDomain, STUB_DOMAINS_KEY } from './kube-dns.js';

export type ClusterDnsConfigMapName = 'coredns' | 'coredns-custom' | 'kube-dns';

/** The `data` of a ConfigMap as read from the API server; values are checked to be strings. */
export type ConfigMapData = Readonly<Record<string, unknown>>;

/** The kube-system ConfigMaps seen; a missing entry means the ConfigMap does not exist. */
export type ClusterDnsConfigMaps = Readonly<Partial<Record<ClusterDnsConfigMapName, ConfigMapData>>>;

/**
 * `corefile`: a marked block in the `coredns` ConfigMap's Corefile. `coredns-custom`: a `nodemesh.server`
 * entry (AKS, k3s). `kube-dns`: a stub domain.
 */
export type ClusterDnsFlavour = 'corefile' | 'coredns-custom' | 'kube-dns';

/** Keys to set and keys to delete in one ConfigMap's data (a merge patch). */
export interface ConfigMapDataChange {
  readonly configMap: ClusterDnsConfigMapName;
  readonly set: Readonly<Record<string, string>>;
  readonly remove: readonly string[];
}

export interface ClusterDnsPlan {
  readonly flavour: ClusterDnsFlavour;
  /** Empty when the cluster DNS already is as wanted. */
  readonly changes: readonly ConfigMapDataChange[];
}

export interface ClusterDnsCleanup {
  readonly changes: readonly ConfigMapDataChange[];
  /** ConfigMaps that could not be cleaned (e.g. a Corefile with a broken marker), each reported. */
  readonly errors: readonly FieldError[];
}

export const COREFILE_KEY = 'Corefile';

function stringEntry(
  seen: ClusterDnsConfigMaps,
  configMap: ClusterDnsConfigMapName,
  key: string,
): Result<string | undefined> {
  const value = seen[configMap]?.[key];
  if (value === undefined || typeof value === 'string') return ok(value);
  return fail([
    { path: `${configMap}.data.${key}`, message: `must be a string, got ${describeValue(value)}` },
  ]);
}

/** Errors about a ConfigMap entry's text: the path names the entry, the message keeps the line. */
function located(
  configMap: ClusterDnsConfigMapName,
  key: string,
  errors: readonly FieldError[],
): FieldError[] {
  return errors.map((error) => ({ path: `${configMap}.data.${key}`, message: formatFieldError(error) }));
}

/** Our Corefile block, removed: needed when the flavour moves to coredns-custom. */
function corefileCleanup(seen: ClusterDnsConfigMaps): Result<ConfigMapDataChange | undefined> {
  const corefile = stringEntry(seen, 'coredns', COREFILE_KEY);
  if (!corefile.ok) return corefile;
  if (corefile.value === undefined) return ok(undefined);
  const removed = removeMeshBlock(corefile.value);
  if (!removed.ok) return fail(located('coredns', COREFILE_KEY, removed.errors));
  if (!removed.value.changed) return ok(undefined);
  return ok({ configMap: 'coredns', set: { [COREFILE_KEY]: removed.value.corefile }, remove: [] });
}

/**
 * Picks the flavour: `coredns-custom` if that ConfigMap exists (the managed Corefile beside it would be
 * reset), else the `coredns` Corefile, else kube-dns's stub domains. Returns the changes that make the
 * mesh zone forward to `target`.
 */
export function planMeshForward(
  seen: ClusterDnsConfigMaps,
  target: MeshForwardTarget,
): Result<ClusterDnsPlan> {
  const checked = validateForwardTarget(target);
  if (!checked.ok) return checked;
  if (seen['coredns-custom'] !== undefined) {
    const changes: ConfigMapDataChange[] = [];
    const entry = stringEntry(seen, 'coredns-custom', CUSTOM_SERVER_KEY);
    if (!entry.ok) return entry;
    const wanted = renderCustomServerEntry(target);
    if (entry.value !== wanted)
      changes.push({ configMap: 'coredns-custom', set: { [CUSTOM_SERVER_KEY]: wanted }, remove: [] });
    // Two blocks for one zone stop CoreDNS from starting: drop one we may have put in the Corefile before.
    const stale = corefileCleanup(seen);
    if (!stale.ok) return stale;
    if (stale.value !== undefined) changes.push(stale.value);
    return ok({ flavour: 'coredns-custom', changes });
  }
  if (seen.coredns !== undefined) {
    const corefile = stringEntry(seen, 'coredns', COREFILE_KEY);
    if (!corefile.ok) return corefile;
    if (corefile.value === undefined) {
      return fail([
        {
          path: `coredns.data.${COREFILE_KEY}`,
          message: 'is missing: the coredns ConfigMap has no Corefile',
        },
      ]);
    }
    const edit = addMeshBlock(corefile.value, target);
    if (!edit.ok) return fail(located('coredns', COREFILE_KEY, edit.errors));
    const changes: ConfigMapDataChange[] = edit.value.changed
      ? [{ configMap: 'coredns', set: { [COREFILE_KEY]: edit.value.corefile }, remove: [] }]
      : [];
    return ok({ flavour: 'corefile', changes });
  }
  if (seen['kube-dns'] !== undefined) {
    const stubs = stringEntry(seen, 'kube-dns', STUB_DOMAINS_KEY);
    if (!stubs.ok) return stubs;
    const edit = addStubDomain(stubs.value, target);
    if (!edit.ok) return fail(edit.errors.map((error) => ({ ...error, path: `kube-dns.${error.path}` })));
    const changes: ConfigMapDataChange[] =
      edit.value.changed && edit.value.stubDomains !== undefined
        ? [{ configMap: 'kube-dns', set: { [STUB_DOMAINS_KEY]: edit.value.stubDomains }, remove: [] }]
        : [];
    return ok({ flavour: 'kube-dns', changes });
  }
  return fail([
    {
      path: '',
      message:
        'found none of the kube-system ConfigMaps coredns, coredns-custom, kube-dns: cannot reach the cluster DNS',
    },
  ]);
}

/** Undoes every trace of the mesh zone in whichever ConfigMaps hold one; reports what it cannot undo. */
export function planMeshCleanup(seen: ClusterDnsConfigMaps, domain: string): ClusterDnsCleanup {
  const changes: ConfigMapDataChange[] = [];
  const errors: FieldError[] = [];
  const stale = corefileCleanup(seen);
  if (!stale.ok) errors.push(...stale.errors);
  else if (stale.value !== undefined) changes.push(stale.value);
  const custom = seen['coredns-custom'];
  if (custom !== undefined && Object.hasOwn(custom, CUSTOM_SERVER_KEY)) {
    changes.push({ configMap: 'coredns-custom', set: {}, remove: [CUSTOM_SERVER_KEY] });
  }
  if (seen['kube-dns'] !== undefined) {
    const stubs = stringEntry(seen, 'kube-dns', STUB_DOMAINS_KEY);
    const edit = stubs.ok ? removeStubDomain(stubs.value, domain) : stubs;
    if (!edit.ok) errors.push(...edit.errors.map((error) => ({ ...error, path: `kube-dns.${error.path}` })));
    else if (edit.value.changed) {
      const { stubDomains } = edit.value;
      changes.push(
        stubDomains === undefined
          ? { configMap: 'kube-dns', set: {}, remove: [STUB_DOMAINS_KEY] }
          : { configMap: 'kube-dns', set: { [STUB_DOMAINS_KEY]: stubDomains }, remove: [] },
      );
    }
  }
  return { changes, errors };
}
