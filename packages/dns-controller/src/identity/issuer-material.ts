/**
 * The issuer as read from its Secret (`tls.crt`, `tls.key`, `ca.crt`, optional `extra-roots.crt`), checked
 * before it is used: an ECDSA P-256 key that belongs to the first certificate of `tls.crt`, that certificate a
 * CA that is valid now, and its chain (with any intermediates after it) ending at one of the roots. Anything
 * wrong is reported with the key it concerns; the last good issuer stays in use.
 */
import { createHash, createPrivateKey, type KeyObject, webcrypto, X509Certificate } from 'node:crypto';
import {
  ISSUER_SECRET_CERT_KEY,
  ISSUER_SECRET_EXTRA_ROOTS_KEY,
  ISSUER_SECRET_KEY_KEY,
  ISSUER_SECRET_ROOTS_KEY,
} from '@nodemesh/smi-types';
import { P256, pemBlocks } from './x509.js';

export interface IssuerMaterial {
  /** The issuer certificate (signs workload certificates). */
  readonly issuer: X509Certificate;
  /** PEM: the issuer certificate and any intermediates above it, as workload chains carry them. */
  readonly chainPem: string;
  /** The issuer's key, for signing. */
  readonly signingKey: webcrypto.CryptoKey;
  /** Every trusted root: those of `ca.crt`, then those of `extra-roots.crt`, each once. */
  readonly roots: readonly X509Certificate[];
  /** PEM of `roots`, the trust bundle. */
  readonly rootsPem: string;
  /** SHA-256 of the issuer certificate (DER), lower-case hex. */
  readonly issuerSha256: string;
}

export type MaterialResult = { ok: true; material: IssuerMaterial } | { ok: false; problem: string };

export function sha256Hex(cert: X509Certificate): string {
  return createHash('sha256').update(cert.raw).digest('hex');
}

/** Reads the `data` of a Secret (base64 values). Never throws. */
export async function readIssuerMaterial(data: unknown, now: Date): Promise<MaterialResult> {
  if (typeof data !== 'object' || data === null) return { ok: false, problem: 'the Secret has no data' };
  const record = data as Record<string, unknown>;
  const text = (key: string) =>
    typeof record[key] === 'string'
      ? Buffer.from(record[key] as string, 'base64').toString('utf8')
      : undefined;
  const certText = text(ISSUER_SECRET_CERT_KEY);
  const keyText = text(ISSUER_SECRET_KEY_KEY);
  const rootsText = text(ISSUER_SECRET_ROOTS_KEY);
  for (const [key, value] of [
    [ISSUER_SECRET_CERT_KEY, certText],
    [ISSUER_SECRET_KEY_KEY, keyText],
    [ISSUER_SECRET_ROOTS_KEY, rootsText],
  ] as const) {
    if (value === undefined || value.trim() === '') return { ok: false, problem: `${key} is missing` };
  }
  try {
    const chain = pemBlocks(certText ?? '', 'CERTIFICATE').map((pem) => new X509Certificate(pem));
    const roots = dedupe(
      [
        ...pemBlocks(rootsText ?? '', 'CERTIFICATE'),
        ...pemBlocks(text(ISSUER_SECRET_EXTRA_ROOTS_KEY) ?? '', 'CERTIFICATE'),
      ].map((pem) => new X509Certificate(pem)),
    );
    const issuer = chain[0];
    if (issuer === undefined) return { ok: false, problem: `${ISSUER_SECRET_CERT_KEY} holds no certificate` };
    if (roots.length === 0) return { ok: false, problem: `${ISSUER_SECRET_ROOTS_KEY} holds no certificate` };
    const key = readKey(keyText ?? '');
    if (typeof key === 'string') return { ok: false, problem: key };
    if (!issuer.checkPrivateKey(key)) {
      return {
        ok: false,
        problem: `${ISSUER_SECRET_KEY_KEY} is not the key of the certificate in ${ISSUER_SECRET_CERT_KEY}`,
      };
    }
    if (!issuer.ca)
      return {
        ok: false,
        problem: `${ISSUER_SECRET_CERT_KEY} is not a CA certificate (basicConstraints CA:TRUE)`,
      };
    const expired = [...chain, ...roots].find((c) => Date.parse(c.validTo) <= now.getTime());
    if (expired !== undefined)
      return { ok: false, problem: `${expired.subject || 'a certificate'} expired at ${expired.validTo}` };
    const chainProblem = chainToRoots(chain, roots);
    if (chainProblem !== undefined) return { ok: false, problem: chainProblem };
    const der = key.export({ type: 'pkcs8', format: 'der' });
    const signingKey = await webcrypto.subtle.importKey('pkcs8', der, P256, false, ['sign']);
    return {
      ok: true,
      material: {
        issuer,
        chainPem: chain.map((c) => c.toString()).join(''),
        signingKey,
        roots,
        rootsPem: roots.map((c) => c.toString()).join(''),
        issuerSha256: sha256Hex(issuer),
      },
    };
  } catch (error) {
    return {
      ok: false,
      problem: `cannot read the issuer: ${error instanceof Error ? error.message : String(error)}`,
    };
  }
}

function readKey(pem: string): KeyObject | string {
  let key: KeyObject;
  try {
    key = createPrivateKey(pem);
  } catch {
    return `${ISSUER_SECRET_KEY_KEY} is not a PEM private key`;
  }
  if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    return `${ISSUER_SECRET_KEY_KEY} must be an ECDSA P-256 key, got ${key.asymmetricKeyType} ${key.asymmetricKeyDetails?.namedCurve ?? ''}`.trim();
  }
  return key;
}

/** Each certificate of the chain signed by the next, the last by one of the roots. */
function chainToRoots(
  chain: readonly X509Certificate[],
  roots: readonly X509Certificate[],
): string | undefined {
  for (let i = 0; i + 1 < chain.length; i++) {
    const child = chain[i] as X509Certificate;
    const parent = chain[i + 1] as X509Certificate;
    if (!child.checkIssued(parent) || !child.verify(parent.publicKey)) {
      return `${ISSUER_SECRET_CERT_KEY}: certificate ${i + 1} is not signed by certificate ${i + 2}`;
    }
  }
  const top = chain[chain.length - 1] as X509Certificate;
  const signedByRoot = roots.some(
    (root) => top.raw.equals(root.raw) || (top.checkIssued(root) && top.verify(root.publicKey)),
  );
  return signedByRoot
    ? undefined
    : `${ISSUER_SECRET_CERT_KEY} does not chain to any root of ${ISSUER_SECRET_ROOTS_KEY} or ${ISSUER_SECRET_EXTRA_ROOTS_KEY}`;
}

function dedupe(certs: readonly X509Certificate[]): X509Certificate[] {
  const seen = new Set<string>();
  return certs.filter((c) => {
    const key = sha256Hex(c);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
