/**
 * A workload certificate this node holds, accepted only after checking what the issuer sent: the leaf is for
 * our key, names exactly the SPIFFE ID asked for, is valid now, and chains through the issuer to a root of the
 * published trust bundle. Pure apart from node:crypto's parsing.
 */
import { createPrivateKey, X509Certificate } from 'node:crypto';
import type { CertificateResponse } from '@nodemesh/smi-types';
import { pemBlocks } from './pem.js';
import { sha256Hex, type TrustBundle } from './trust-bundle.js';

export interface HeldCertificate {
  readonly namespace: string;
  readonly serviceAccount: string;
  readonly spiffeId: string;
  readonly keyPem: string;
  /** PEM: leaf, then issuer (and intermediates). */
  readonly chainPem: string;
  readonly notBefore: number;
  readonly notAfter: number;
  /** When this node accepted it: the issuer backdates notBefore for clock skew, so life is counted from here. */
  readonly obtainedAt: number;
  /** SHA-256 of the certificate that signed the leaf. */
  readonly issuerSha256: string;
  /** SHA-256 of the root the chain ends at. */
  readonly rootSha256: string;
}

/** Half-way through its life as this node has it: when a certificate is renewed. */
export function renewalTime(cert: Pick<HeldCertificate, 'obtainedAt' | 'notAfter'>): number {
  return cert.obtainedAt + (cert.notAfter - cert.obtainedAt) / 2;
}

/**
 * Overdue: past its renewal time by more than the retries normally need (5% of its life, at most a minute).
 * A node with overdue certificates cannot renew them: the renewal-overdue alert watches this.
 */
export function isOverdue(cert: Pick<HeldCertificate, 'obtainedAt' | 'notAfter'>, now: number): boolean {
  const slack = Math.min(60_000, (cert.notAfter - cert.obtainedAt) * 0.05);
  return now > renewalTime(cert) + slack;
}

/** The root of `bundle` that the chain ends at, or undefined. */
export function rootOf(chain: readonly X509Certificate[], bundle: TrustBundle): X509Certificate | undefined {
  for (let i = 0; i + 1 < chain.length; i++) {
    const child = chain[i] as X509Certificate;
    const parent = chain[i + 1] as X509Certificate;
    if (!child.checkIssued(parent) || !child.verify(parent.publicKey)) return undefined;
  }
  const top = chain[chain.length - 1];
  if (top === undefined) return undefined;
  return bundle.roots.find(
    (root) => top.raw.equals(root.raw) || (top.checkIssued(root) && top.verify(root.publicKey)),
  );
}

export function acceptIssued(
  answer: CertificateResponse,
  asked: { readonly namespace: string; readonly serviceAccount: string; readonly spiffeId: string },
  keyPem: string,
  bundle: TrustBundle,
  now: number,
): HeldCertificate | string {
  let chain: X509Certificate[];
  try {
    chain = pemBlocks(answer.certificateChain, 'CERTIFICATE').map((pem) => new X509Certificate(pem));
  } catch {
    return 'the issuer sent a chain that does not parse';
  }
  const [leaf, issuer] = chain;
  if (leaf === undefined || issuer === undefined) return 'the issuer sent no chain (leaf and issuer)';
  if (!leaf.checkPrivateKey(createPrivateKey(keyPem))) return 'the certificate is not for our key';
  if (leaf.subjectAltName !== `URI:${asked.spiffeId}` || answer.spiffeId !== asked.spiffeId) {
    return `the certificate names ${leaf.subjectAltName ?? 'nothing'}, not ${asked.spiffeId}`;
  }
  if (leaf.ca) return 'the certificate is a CA certificate';
  const notBefore = Date.parse(leaf.validFrom);
  const notAfter = Date.parse(leaf.validTo);
  if (!(notBefore <= now + 60_000 && now < notAfter))
    return `the certificate is not valid now (${leaf.validFrom} to ${leaf.validTo})`;
  const root = rootOf(chain, bundle);
  if (root === undefined) return 'the certificate does not chain to a root of the trust bundle';
  return {
    namespace: asked.namespace,
    serviceAccount: asked.serviceAccount,
    spiffeId: asked.spiffeId,
    keyPem,
    chainPem: chain.map((c) => c.toString()).join(''),
    notBefore,
    notAfter,
    obtainedAt: now,
    issuerSha256: sha256Hex(issuer),
    rootSha256: sha256Hex(root),
  };
}
