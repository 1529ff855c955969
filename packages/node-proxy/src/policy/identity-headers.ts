/**
 * Request headers a caller could send to claim an identity that other meshes or proxies would trust:
 * dropped before a request leaves the node-proxy, as are `x-nodemesh-*` (see forward-headers.ts). The mesh
 * has no mTLS yet, so no upstream should trust these from us either.
 */

/** Exact names (lower case). */
export const IDENTITY_HEADERS: ReadonlySet<string> = new Set([
  'x-forwarded-client-cert', // Envoy / Istio XFCC
  'x-client-cert',
  'x-ssl-client-cert',
  'ssl-client-cert',
  'x-client-dn',
  'x-ssl-client-dn',
  'x-ssl-client-verify',
  'x-remote-user',
  'x-forwarded-user',
  'x-auth-request-user',
  'x-auth-request-email',
]);

/** Prefixes (lower case): Linkerd's `l5d-client-id`, `l5d-dst-*` and the rest of its namespace. */
export const IDENTITY_HEADER_PREFIXES: readonly string[] = ['l5d-'];

/** Whether a (lower-case) header name is one a caller may not send through the mesh. */
export function isIdentityHeader(name: string): boolean {
  if (IDENTITY_HEADERS.has(name)) return true;
  for (const prefix of IDENTITY_HEADER_PREFIXES) if (name.startsWith(prefix)) return true;
  return false;
}
