/**
 * @peculiar/x509 set up once: it needs the Reflect metadata polyfill (through tsyringe) and a WebCrypto
 * provider, here Node's own. Everything in this folder imports x509 from here. node:crypto's X509Certificate
 * reads and checks certificates; @peculiar/x509 writes certificates and reads and verifies CSRs.
 */
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

export { x509 };

/** ECDSA over P-256 with SHA-256: the only key and signature the mesh CA makes and accepts. */
export const P256: webcrypto.EcKeyImportParams & webcrypto.EcdsaParams & webcrypto.EcKeyGenParams = {
  name: 'ECDSA',
  namedCurve: 'P-256',
  hash: 'SHA-256',
};

/** Every PEM block of one label in a text, in order. */
export function pemBlocks(text: string, label: string): string[] {
  const pattern = new RegExp(`-----BEGIN ${label}-----[\\s\\S]+?-----END ${label}-----`, 'g');
  return [...text.matchAll(pattern)].map((m) => `${m[0]}\n`);
}
