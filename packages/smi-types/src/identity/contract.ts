/**
 * The workload-identity contract (docs/identity.md): what the issuer in the control plane and the node-proxy
 * agree on without importing each other. Names of the objects in the mesh namespace, their keys, the token
 * audience, the issuer's port and name, and certificate lifetimes. Pure constants.
 */

/** The SPIFFE trust domain when none is configured: the cluster's own DNS domain, as Istio and Linkerd use. */
export const DEFAULT_TRUST_DOMAIN = 'cluster.local';

/**
 * The Secret (in the mesh namespace) holding the issuer: `tls.crt` (the issuer certificate, optionally followed
 * by intermediates), `tls.key` (its private key, PKCS#8 or SEC1 PEM), `ca.crt` (the root or roots it chains
 * to). The shape cert-manager writes, so cert-manager can provide it; otherwise the control plane creates it
 * once. Only the issuer may read it.
 */
export const DEFAULT_ISSUER_SECRET = 'nodemesh-identity-issuer';
export const ISSUER_SECRET_CERT_KEY = 'tls.crt';
export const ISSUER_SECRET_KEY_KEY = 'tls.key';
export const ISSUER_SECRET_ROOTS_KEY = 'ca.crt';
/**
 * Optional key of the issuer Secret: more roots to trust besides `ca.crt`, for a root rotation when something
 * else (cert-manager) owns `ca.crt`. cert-manager leaves keys it does not manage alone.
 */
export const ISSUER_SECRET_EXTRA_ROOTS_KEY = 'extra-roots.crt';

/**
 * The ConfigMap (in the mesh namespace) the control plane publishes the trust bundle in: `ca.crt` holds every
 * trusted root (one, or two during a rotation), `issuer.sha256` the SHA-256 fingerprint (lower-case hex) of
 * the issuer certificate signing now, so a node-proxy renews early what an older issuer signed.
 */
export const TRUST_BUNDLE_CONFIG_MAP = 'nodemesh-trust-bundle';
export const TRUST_BUNDLE_ROOTS_KEY = 'ca.crt';
export const TRUST_BUNDLE_ISSUER_KEY = 'issuer.sha256';

/** The audience of the projected ServiceAccount token a node-proxy shows the issuer; no other audience is accepted. */
export const IDENTITY_TOKEN_AUDIENCE = 'nodemesh-identity';
/** Where the DaemonSet mounts that token. */
export const DEFAULT_IDENTITY_TOKEN_FILE = '/var/run/secrets/nodemesh/identity/token';

/** The Service in front of the issuer and its port; the issuer's serving certificate names the Service. */
export const IDENTITY_SERVICE = 'nodemesh-identity';
export const DEFAULT_ISSUER_PORT = 9443;

/** The DNS name the issuer's serving certificate carries and a node-proxy checks, whatever address it dials. */
export function issuerServerName(meshNamespace: string): string {
  return `${IDENTITY_SERVICE}.${meshNamespace}.svc`;
}

/** The issuer's default URL inside a cluster. */
export function defaultIssuerUrl(meshNamespace: string): string {
  return `https://${issuerServerName(meshNamespace)}:${DEFAULT_ISSUER_PORT}`;
}

/** The ServiceAccount the node-proxy pods run as; the issuer serves no other. */
export const DEFAULT_NODE_PROXY_SERVICE_ACCOUNT = 'nodemesh-node-proxy';

/** Workload certificates live this long unless configured, and are renewed at half their life. */
export const DEFAULT_CERTIFICATE_TTL_SECONDS = 24 * 60 * 60;
/** Bounds of a configurable workload-certificate lifetime. */
export const MIN_CERTIFICATE_TTL_SECONDS = 60;
export const MAX_CERTIFICATE_TTL_SECONDS = 30 * 24 * 60 * 60;

/**
 * The keys TokenReview puts in `status.user.extra` for a token bound to a pod (Kubernetes 1.30+ adds the node).
 * The issuer trusts these, never anything the caller says about itself.
 */
export const TOKEN_EXTRA_POD_NAME = 'authentication.kubernetes.io/pod-name';
export const TOKEN_EXTRA_POD_UID = 'authentication.kubernetes.io/pod-uid';
export const TOKEN_EXTRA_NODE_NAME = 'authentication.kubernetes.io/node-name';
export const TOKEN_EXTRA_NODE_UID = 'authentication.kubernetes.io/node-uid';

/** `system:serviceaccount:<ns>:<name>`, the username of a ServiceAccount token. */
export function serviceAccountUsername(namespace: string, name: string): string {
  return `system:serviceaccount:${namespace}:${name}`;
}
