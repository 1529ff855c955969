/**
 * The trust bundle as published in the mesh namespace's ConfigMap: the roots a peer's chain may end at, and
 * the fingerprint of the issuer signing now. Read with every root checked; a bundle without a usable root is
 * refused (the last good one stays).
 */
import { createHash, X509Certificate } from 'node:crypto';
import { TRUST_BUNDLE_ISSUER_KEY, TRUST_BUNDLE_ROOTS_KEY } from '@nodemesh/smi-types';
import { pemBlocks } from './pem.js';

export interface TrustBundle {
  readonly roots: readonly X509Certificate[];
  /** PEM of `roots`, for a SecureContext's `ca`. */
  readonly pem: string;
  /** SHA-256 (hex) of the issuer signing now; undefined when not published. */
  readonly issuerSha256: string | undefined;
}

export const sha256Hex = (cert: X509Certificate) => createHash('sha256').update(cert.raw).digest('hex');

export type BundleResult = { ok: true; bundle: TrustBundle } | { ok: false; problem: string };

/** Reads a ConfigMap object. Never throws. */
export function readTrustBundle(configMap: unknown): BundleResult {
  const data =
    typeof configMap === 'object' && configMap !== null ? (configMap as { data?: unknown }).data : undefined;
  if (typeof data !== 'object' || data === null)
    return { ok: false, problem: 'the trust bundle has no data' };
  const record = data as Record<string, unknown>;
  const rootsText = record[TRUST_BUNDLE_ROOTS_KEY];
  if (typeof rootsText !== 'string') return { ok: false, problem: `${TRUST_BUNDLE_ROOTS_KEY} is missing` };
  const roots: X509Certificate[] = [];
  for (const pem of pemBlocks(rootsText, 'CERTIFICATE')) {
    try {
      const cert = new X509Certificate(pem);
      if (cert.ca) roots.push(cert);
    } catch {
      // a block that is not a certificate is skipped; the rest still count
    }
  }
  if (roots.length === 0) return { ok: false, problem: `${TRUST_BUNDLE_ROOTS_KEY} holds no CA certificate` };
  const issuer = record[TRUST_BUNDLE_ISSUER_KEY];
  return {
    ok: true,
    bundle: {
      roots,
      pem: roots.map((r) => r.toString()).join(''),
      issuerSha256: typeof issuer === 'string' && /^[0-9a-f]{64}$/.test(issuer) ? issuer : undefined,
    },
  };
}
