/**
 * SPIFFE IDs of Kubernetes ServiceAccounts: `spiffe://<trust-domain>/ns/<namespace>/sa/<serviceaccount>`, the
 * form Istio and Linkerd use. A certificate carries exactly one, as its URI SAN. Pure.
 */
import { isDns1123Label, isDns1123Subdomain } from '../validation/dns-names.js';

/** A workload identity: one ServiceAccount in one trust domain. */
export interface WorkloadIdentity {
  readonly trustDomain: string;
  readonly namespace: string;
  readonly serviceAccount: string;
}

/**
 * A SPIFFE trust domain: lower-case letters, digits, `-`, `.` and `_` (the SPIFFE spec), at most 255 characters;
 * we also require it to start and end with a letter or digit.
 */
export function isTrustDomain(value: string): boolean {
  return value.length <= 255 && /^[a-z0-9]([a-z0-9._-]*[a-z0-9])?$/.test(value);
}

export function spiffeIdOf(identity: WorkloadIdentity): string {
  return `spiffe://${identity.trustDomain}/ns/${identity.namespace}/sa/${identity.serviceAccount}`;
}

/** Reads a SPIFFE ID of our form; undefined for anything else (other paths, bad names, query, fragment). */
export function parseSpiffeId(uri: string): WorkloadIdentity | undefined {
  const match = /^spiffe:\/\/([^/]+)\/ns\/([^/]+)\/sa\/([^/]+)$/.exec(uri);
  if (match === null) return undefined;
  const [, trustDomain = '', namespace = '', serviceAccount = ''] = match;
  if (!isTrustDomain(trustDomain) || !isDns1123Label(namespace) || !isDns1123Subdomain(serviceAccount)) {
    return undefined;
  }
  return { trustDomain, namespace, serviceAccount };
}

/** `<namespace>/<serviceaccount>`, the key a node-proxy keeps certificates under. */
export function serviceAccountKey(identity: Pick<WorkloadIdentity, 'namespace' | 'serviceAccount'>): string {
  return `${identity.namespace}/${identity.serviceAccount}`;
}
