/**
 * @peculiar/x509 set up once for the node-proxy: the Reflect metadata polyfill it needs (through tsyringe)
 * and Node's WebCrypto as its provider. It writes CSRs here; node:crypto's X509Certificate reads certificates.
 * Loaded on first use (workload-key.ts): a proxy without workload identity never loads it (about 200 modules).
 */
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

export { x509 };

/** ECDSA over P-256 with SHA-256, the only key the mesh CA signs for. */
export const P256 = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

export { pemBlocks } from './pem.js';
