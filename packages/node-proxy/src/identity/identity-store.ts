/**
 * What the data plane asks of workload identity: the TLS 1.3 context of a ServiceAccount of this node (its
 * key and chain, trusting the bundle's roots). The control loop's WorkloadIdentities answers it in a single
 * process; with `--workers N` each worker answers it from what its primary sent (received-identities.ts).
 */
import { createSecureContext, type SecureContext } from 'node:tls';

export interface IdentityStore {
  /** The context of that identity, or undefined when none is held (or it has expired). */
  secureContextFor(namespace: string, serviceAccount: string): SecureContext | undefined;
}

/** The TLS 1.3 context of one identity: its key and chain, trusting the roots in `bundlePem`. */
export function identityContext(keyPem: string, chainPem: string, bundlePem: string): SecureContext {
  return createSecureContext({ key: keyPem, cert: chainPem, ca: bundlePem, minVersion: 'TLSv1.3' });
}
