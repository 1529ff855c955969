/**
 * A mesh CA made in the test (a root, an issuer under it), signing leaf certificates with one SPIFFE ID as the
 * mesh CA does, and TLS 1.3 contexts for them that trust this CA's root, as `WorkloadIdentities` makes them.
 */
import { webcrypto } from 'node:crypto';
import { createSecureContext, type SecureContext } from 'node:tls';
import { newWorkloadKey } from '../../src/identity/workload-key.js';
import { P256, x509 } from '../../src/identity/x509.js';

export interface Leaf {
  readonly keyPem: string;
  readonly chainPem: string;
}

export interface TestCa {
  readonly rootPem: string;
  leaf(uri: string, ttlMs?: number): Promise<Leaf>;
  /** A context presenting a new leaf for `uri`, trusting `trust` (default: this CA's root). */
  context(uri: string, trust?: string): Promise<SecureContext>;
}

const keys = () => webcrypto.subtle.generateKey(P256, true, ['sign', 'verify']);

export async function testCa(name = 'test'): Promise<TestCa> {
  const rootKeys = await keys();
  const root = await x509.X509CertificateGenerator.createSelfSigned({
    name: `CN=${name} root`,
    keys: rootKeys as never,
    signingAlgorithm: P256,
    notBefore: new Date(Date.now() - 60_000),
    notAfter: new Date(Date.now() + 86_400_000),
    extensions: [new x509.BasicConstraintsExtension(true, 1, true)],
  });
  const issuerKeys = await keys();
  const issuer = await x509.X509CertificateGenerator.create({
    subject: `CN=${name} issuer`,
    issuer: root.subject,
    publicKey: issuerKeys.publicKey as never,
    signingKey: rootKeys.privateKey as never,
    signingAlgorithm: P256,
    notBefore: new Date(Date.now() - 60_000),
    notAfter: new Date(Date.now() + 86_400_000),
    extensions: [new x509.BasicConstraintsExtension(true, 0, true)],
  });
  const rootPem = `${root.toString('pem')}\n`;
  const leaf = async (uri: string, ttlMs = 3_600_000): Promise<Leaf> => {
    const key = await newWorkloadKey();
    const csr = new x509.Pkcs10CertificateRequest(key.csrPem);
    const cert = await x509.X509CertificateGenerator.create({
      subject: '',
      issuer: issuer.subject,
      publicKey: csr.publicKey,
      signingKey: issuerKeys.privateKey as never,
      signingAlgorithm: P256,
      notBefore: new Date(Date.now() - 60_000),
      notAfter: new Date(Date.now() + ttlMs),
      extensions: [
        new x509.SubjectAlternativeNameExtension([{ type: 'url', value: uri }], true),
        new x509.ExtendedKeyUsageExtension(
          [x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth],
          false,
        ),
      ],
    });
    return { keyPem: key.keyPem, chainPem: `${cert.toString('pem')}\n${issuer.toString('pem')}\n` };
  };
  return {
    rootPem,
    leaf,
    async context(uri: string, trust = rootPem): Promise<SecureContext> {
      const { keyPem, chainPem } = await leaf(uri);
      return createSecureContext({ key: keyPem, cert: chainPem, ca: trust, minVersion: 'TLSv1.3' });
    },
  };
}
