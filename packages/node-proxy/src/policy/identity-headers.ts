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

/**
 * A header name as CGI-style servers read it (`HTTP_X_REMOTE_USER`): to them `x_remote_user` and
 * `x-remote-user` are one header, so a caller could pass a stripped one under its underscore spelling.
 */
export function dashedName(name: string): string {
  return name.includes('_') ? name.replaceAll('_', '-') : name;
}

/**
 * Whether a (lower-case) header name is one a caller may not send through the mesh, in any spelling:
 * `x_remote_user` and `l5d_client_id` are refused like `x-remote-user` and `l5d-client-id` (nginx drops every
 * name with an underscore by default; Envoy can; only these are dropped here, other underscores pass).
 */
export function isIdentityHeader(name: string): boolean {
  const dashed = dashedName(name);
  if (IDENTITY_HEADERS.has(dashed)) return true;
  for (const prefix of IDENTITY_HEADER_PREFIXES) if (dashed.startsWith(prefix)) return true;
  return false;
}
