/**
 * What the dns-controller reads of a Namespace: its name, uid (for Events) and `nodemesh.io/mtls`
 * annotation, the mTLS mode of the Services in it unless a Service names its own (docs/mtls.md, "Modes").
 * The namespaces informer keeps only these fields of each Namespace. Pure, never throws.
 */
import { type FieldSelection, isRecord } from '@nodemesh/kube-runtime';
import { ANNOTATION_MTLS } from '@nodemesh/smi-types';

export interface NamespaceMtls {
  readonly uid: string | undefined;
  /** The annotation as found (any value: resolveMtlsMode checks it); undefined when absent. */
  readonly annotation: unknown;
}

/** The fields of a Namespace the namespaces informer keeps (with its identity: name, uid, resourceVersion). */
export const NAMESPACE_MTLS_FIELDS: FieldSelection = {
  metadata: { annotations: { [ANNOTATION_MTLS]: true } },
};

/** Namespace name → its uid and mTLS annotation; objects without a name are skipped. */
export function readNamespaceMtls(namespaces: readonly unknown[]): ReadonlyMap<string, NamespaceMtls> {
  const byName = new Map<string, NamespaceMtls>();
  for (const obj of namespaces) {
    if (!isRecord(obj) || !isRecord(obj.metadata)) continue;
    const { name, uid, annotations } = obj.metadata;
    if (typeof name !== 'string' || name === '') continue;
    byName.set(name, {
      uid: typeof uid === 'string' && uid !== '' ? uid : undefined,
      annotation: isRecord(annotations) ? annotations[ANNOTATION_MTLS] : undefined,
    });
  }
  return byName;
}
