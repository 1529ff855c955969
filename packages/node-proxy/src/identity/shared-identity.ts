/**
 * Workload identities as the primary hands them to its data-plane workers (`--workers N`): for each
 * ServiceAccount held, its private key, chain and expiry, and the trust bundle's roots; enough for a worker
 * to build the same TLS contexts. They cross the `cluster` IPC channel (a socket pair between the primary
 * and each worker), never a file: a key lives only in the memory of the node-proxy's processes.
 */
import type { HeldCertificate } from './held-certificate.js';

export interface SharedCertificate {
  readonly namespace: string;
  readonly serviceAccount: string;
  readonly spiffeId: string;
  /** PKCS#8 PEM. */
  readonly keyPem: string;
  /** PEM: leaf, then issuer (and intermediates). */
  readonly chainPem: string;
  /** Milliseconds since the epoch. */
  readonly notAfter: number;
}

/**
 * Changes to the identities held: certificates set or dropped (null) by `namespace/serviceAccount`, and
 * the trust bundle's PEM when it changed. A worker that starts gets the whole state as one update.
 */
export interface IdentityUpdate {
  readonly certificates: readonly (readonly [string, SharedCertificate | null])[];
  readonly bundlePem?: string;
}

/** `namespace/serviceAccount`. */
export const identityKey = (namespace: string, serviceAccount: string): string =>
  `${namespace}/${serviceAccount}`;

export function sharedCertificate(cert: HeldCertificate): SharedCertificate {
  return {
    namespace: cert.namespace,
    serviceAccount: cert.serviceAccount,
    spiffeId: cert.spiffeId,
    keyPem: cert.keyPem,
    chainPem: cert.chainPem,
    notAfter: cert.notAfter,
  };
}
