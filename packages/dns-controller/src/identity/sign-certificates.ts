/**
 * The certificates the mesh CA makes: the self-signed root and the issuer (first start without an issuer
 * Secret), workload certificates from a node-proxy's CSR (the SPIFFE ID as the only name, a URI SAN), and
 * the issuer's own serving certificate. All ECDSA P-256 with SHA-256, with random 128-bit serial numbers.
 */
import { randomBytes, webcrypto } from 'node:crypto';
import {
  ISSUER_SECRET_CERT_KEY,
  ISSUER_SECRET_KEY_KEY,
  ISSUER_SECRET_ROOTS_KEY,
  type IssuanceError,
} from '@nodemesh/smi-types';
import type { IssuerMaterial } from './issuer-material.js';
import { P256, x509 } from './x509.js';

/** Tolerated clock skew: certificates start this long before they are made. */
const BACKDATE_MS = 60_000;
const DAY_MS = 24 * 60 * 60 * 1000;
export const DEFAULT_ROOT_TTL_MS = 10 * 365 * DAY_MS;
export const DEFAULT_ISSUER_TTL_MS = 365 * DAY_MS;

/** A positive serial number (top bit clear), 16 random bytes as hex. */
function serialNumber(): string {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0] ?? 0) & 0x7f;
  return bytes.toString('hex');
}

async function pkcs8Pem(key: webcrypto.CryptoKey): Promise<string> {
  const der = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', key));
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN PRIVATE KEY-----\n${lines.join('\n')}\n-----END PRIVATE KEY-----\n`;
}

const generateKeys = () =>
  webcrypto.subtle.generateKey(P256, true, ['sign', 'verify']) as Promise<webcrypto.CryptoKeyPair>;

export interface GeneratedCa {
  /** The issuer Secret's data, as text (the Secret is written with `stringData`). */
  readonly secretData: Readonly<Record<string, string>>;
}

/**
 * A new root and an issuer under it. The root's key is dropped once the issuer is signed: only the issuer key
 * is kept (in the Secret), so the root itself can never sign again; it is replaced by a rotation
 * (docs/identity.md).
 */
export async function generateCa(
  trustDomain: string,
  now: Date,
  ttl = { rootMs: DEFAULT_ROOT_TTL_MS, issuerMs: DEFAULT_ISSUER_TTL_MS },
): Promise<GeneratedCa> {
  const notBefore = new Date(now.getTime() - BACKDATE_MS);
  const rootKeys = await generateKeys();
  const root = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serialNumber(),
    name: `O=nodemesh, CN=nodemesh root ${trustDomain}`,
    notBefore,
    notAfter: new Date(now.getTime() + ttl.rootMs),
    keys: rootKeys,
    signingAlgorithm: P256,
    extensions: [
      new x509.BasicConstraintsExtension(true, 1, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(rootKeys.publicKey),
    ],
  });
  const issuerKeys = await generateKeys();
  const issuer = await x509.X509CertificateGenerator.create({
    serialNumber: serialNumber(),
    subject: `O=nodemesh, CN=nodemesh issuer ${trustDomain}`,
    issuer: root.subject,
    notBefore,
    notAfter: new Date(now.getTime() + Math.min(ttl.issuerMs, ttl.rootMs)),
    publicKey: issuerKeys.publicKey,
    signingKey: rootKeys.privateKey,
    signingAlgorithm: P256,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(issuerKeys.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(rootKeys.publicKey),
    ],
  });
  return {
    secretData: {
      [ISSUER_SECRET_CERT_KEY]: `${issuer.toString('pem')}\n`,
      [ISSUER_SECRET_KEY_KEY]: await pkcs8Pem(issuerKeys.privateKey),
      [ISSUER_SECRET_ROOTS_KEY]: `${root.toString('pem')}\n`,
    },
  };
}

export interface SignedCertificate {
  /** PEM: the new certificate, then the issuer chain. */
  readonly chainPem: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
}

/** The CSR's public key once its signature (proof of possession) verifies and it is ECDSA P-256. */
export async function csrPublicKey(csrPem: string): Promise<x509.PublicKey | IssuanceError> {
  let csr: x509.Pkcs10CertificateRequest;
  try {
    csr = new x509.Pkcs10CertificateRequest(csrPem);
  } catch {
    return { code: 'BadCsr', message: 'the CSR is not a PKCS#10 certificate request' };
  }
  const algorithm = csr.publicKey.algorithm as webcrypto.EcKeyAlgorithm;
  if (algorithm.name !== 'ECDSA' || algorithm.namedCurve !== 'P-256') {
    return { code: 'BadCsr', message: 'the CSR key must be ECDSA P-256' };
  }
  const verified = await csr.verify().catch(() => false);
  if (!verified) return { code: 'BadCsr', message: 'the CSR signature does not verify' };
  return csr.publicKey;
}

/** Signs a certificate for `publicKey`, valid for `ttlMs` from `now` but never past the issuer. */
export async function signLeaf(
  material: IssuerMaterial,
  publicKey: x509.PublicKey | webcrypto.CryptoKey,
  names: { readonly uris?: readonly string[]; readonly dns?: readonly string[] },
  ttlMs: number,
  now: Date,
): Promise<SignedCertificate> {
  const notBefore = new Date(now.getTime() - BACKDATE_MS);
  const notAfter = new Date(Math.min(now.getTime() + ttlMs, Date.parse(material.issuer.validTo)));
  const issuer = new x509.X509Certificate(material.issuer.raw);
  const san = [
    ...(names.uris ?? []).map((value) => ({ type: 'url' as const, value })),
    ...(names.dns ?? []).map((value) => ({ type: 'dns' as const, value })),
  ];
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serialNumber(),
    subject: '',
    issuer: issuer.subject,
    notBefore,
    notAfter,
    publicKey,
    signingKey: material.signingKey,
    signingAlgorithm: P256,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([
        x509.ExtendedKeyUsage.serverAuth,
        x509.ExtendedKeyUsage.clientAuth,
      ]),
      // With an empty subject the SAN is the name, so it must be critical (RFC 5280 4.2.1.6).
      new x509.SubjectAlternativeNameExtension(san, true),
      await x509.AuthorityKeyIdentifierExtension.create(issuer),
    ],
  });
  return { chainPem: `${cert.toString('pem')}\n${material.chainPem}`, notBefore, notAfter };
}

/** A fresh key and a serving certificate for the issuer's own TLS, under the same issuer. */
export async function servingCertificate(
  material: IssuerMaterial,
  dnsNames: readonly string[],
  ttlMs: number,
  now: Date,
): Promise<{ readonly keyPem: string; readonly certificate: SignedCertificate }> {
  const keys = await generateKeys();
  const certificate = await signLeaf(material, keys.publicKey, { dns: dnsNames }, ttlMs, now);
  return { keyPem: await pkcs8Pem(keys.privateKey), certificate };
}
