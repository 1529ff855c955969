/**
 * A data-plane worker's workload identities: what its primary holds (WorkloadIdentities there asks the
 * issuer, renews and drops), received as updates (shared-identity.ts). The worker builds its own TLS
 * contexts from them, anew for each renewal and for each new trust bundle, and stops using a certificate
 * once it expires even before the primary's word that it is gone.
 */
import type { SecureContext } from 'node:tls';
import { type IdentityStore, identityContext } from './identity-store.js';
import { type IdentityUpdate, identityKey, type SharedCertificate } from './shared-identity.js';

/** One identity as a worker holds it, without its key: what a status query shows. */
export interface ReceivedIdentity {
  readonly spiffeId: string;
  readonly notAfter: number;
  /** A TLS context could be built (a trust bundle is known and the key matches the chain). */
  readonly context: boolean;
}

interface Held {
  readonly cert: SharedCertificate;
  context: SecureContext | undefined;
}

export class ReceivedIdentities implements IdentityStore {
  readonly #held = new Map<string, Held>();
  readonly #now: () => number;
  #bundlePem: string | undefined;

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  apply(update: IdentityUpdate): void {
    const bundleChanged = update.bundlePem !== undefined && update.bundlePem !== this.#bundlePem;
    if (bundleChanged) this.#bundlePem = update.bundlePem;
    for (const [key, cert] of update.certificates) {
      if (cert === null) this.#held.delete(key);
      else this.#held.set(key, { cert, context: this.#context(cert) });
    }
    if (bundleChanged) for (const held of this.#held.values()) held.context = this.#context(held.cert);
  }

  secureContextFor(namespace: string, serviceAccount: string): SecureContext | undefined {
    const held = this.#held.get(identityKey(namespace, serviceAccount));
    if (held === undefined || held.cert.notAfter <= this.#now()) return undefined;
    return held.context;
  }

  /** What is held, sorted by SPIFFE ID (no keys). */
  held(): ReceivedIdentity[] {
    return [...this.#held.values()]
      .map(({ cert, context }) => ({
        spiffeId: cert.spiffeId,
        notAfter: cert.notAfter,
        context: context !== undefined,
      }))
      .sort((a, b) => a.spiffeId.localeCompare(b.spiffeId));
  }

  #context(cert: SharedCertificate): SecureContext | undefined {
    if (this.#bundlePem === undefined) return undefined;
    try {
      return identityContext(cert.keyPem, cert.chainPem, this.#bundlePem);
    } catch {
      return undefined;
    }
  }
}
