/**
 * The trust bundle ConfigMap the leader publishes: every trusted root (`ca.crt`) and the fingerprint of the
 * issuer signing now (`issuer.sha256`). Pure: the desired data, and the write that gets there from what is.
 */
import {
  LABEL_PART_OF,
  LABEL_PART_OF_VALUE,
  TRUST_BUNDLE_CONFIG_MAP,
  TRUST_BUNDLE_ISSUER_KEY,
  TRUST_BUNDLE_ROOTS_KEY,
} from '@nodemesh/smi-types';
import type { IssuerMaterial } from './issuer-material.js';

export function trustBundleData(material: IssuerMaterial): Record<string, string> {
  return { [TRUST_BUNDLE_ROOTS_KEY]: material.rootsPem, [TRUST_BUNDLE_ISSUER_KEY]: material.issuerSha256 };
}

export type TrustBundleWrite =
  | { readonly kind: 'none' }
  | { readonly kind: 'create'; readonly body: Record<string, unknown> }
  | { readonly kind: 'replace'; readonly body: Record<string, unknown> };

/** What to write so the ConfigMap holds `data`, given the current object (undefined: absent). */
export function planTrustBundle(
  current: unknown,
  data: Readonly<Record<string, string>>,
  namespace: string,
): TrustBundleWrite {
  const metadata = {
    name: TRUST_BUNDLE_CONFIG_MAP,
    namespace,
    labels: { [LABEL_PART_OF]: LABEL_PART_OF_VALUE },
  };
  if (current === undefined)
    return { kind: 'create', body: { apiVersion: 'v1', kind: 'ConfigMap', metadata, data } };
  const obj = current as { metadata?: Record<string, unknown>; data?: Record<string, unknown> };
  const have = obj.data ?? {};
  const same =
    Object.keys(have).length === Object.keys(data).length &&
    Object.entries(data).every(([key, value]) => have[key] === value);
  if (same) return { kind: 'none' };
  return {
    kind: 'replace',
    body: {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { ...metadata, resourceVersion: obj.metadata?.resourceVersion },
      data,
    },
  };
}
