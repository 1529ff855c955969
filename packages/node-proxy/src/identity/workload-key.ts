/**
 * A workload key and its certificate request, made on this node: the private key never leaves the process.
 * The CSR's subject is a placeholder; the issuer writes the SPIFFE ID itself.
 */
import { webcrypto } from 'node:crypto';

export interface WorkloadKey {
  /** PKCS#8 PEM, for a TLS SecureContext. */
  readonly keyPem: string;
  /** PKCS#10 PEM, signed with the key (proof of possession). */
  readonly csrPem: string;
}

export async function newWorkloadKey(): Promise<WorkloadKey> {
  // @peculiar/x509 is loaded with the first key: a proxy without workload identity never needs it.
  const { P256, x509 } = await import('./x509.js');
  const keys = await webcrypto.subtle.generateKey(P256, true, ['sign', 'verify']);
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: 'O=nodemesh',
    keys: keys as unknown as Parameters<typeof x509.Pkcs10CertificateRequestGenerator.create>[0]['keys'],
    signingAlgorithm: P256,
  });
  const der = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return {
    keyPem: `-----BEGIN PRIVATE KEY-----\n${lines.join('\n')}\n-----END PRIVATE KEY-----\n`,
    csrPem: csr.toString('pem'),
  };
}
