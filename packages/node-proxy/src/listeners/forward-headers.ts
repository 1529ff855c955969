/**
 * Header rewriting at the proxy (pure): hop-by-hop headers are the connection's, not the message's, and
 * mesh-internal headers are the proxy's to set, so a caller can forge neither through us.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { isIdentityHeader } from '../policy/identity-headers.js';

/** The prefix of mesh-internal headers; any a caller sends is dropped. */
export const MESH_HEADER_PREFIX = 'x-nodemesh-';

/** Headers that belong to one connection (RFC 9110 §7.6.1), plus the legacy ones proxies still meet. */
export const HOP_BY_HOP_HEADERS: ReadonlySet<string> = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'http2-settings',
]);

type HeaderValue = string | string[] | undefined;

/** The header names a `Connection` header lists, lower case. */
function connectionTokens(connection: HeaderValue): Set<string> {
  const tokens = new Set<string>();
  const values = connection === undefined ? [] : Array.isArray(connection) ? connection : [connection];
  for (const value of values) {
    for (const token of value.split(',')) {
      const name = token.trim().toLowerCase();
      if (name !== '') tokens.add(name);
    }
  }
  return tokens;
}

/**
 * A copy without hop-by-hop headers, the headers `Connection` names, and with `stripMesh` mesh headers and
 * identity headers a caller could forge (see policy/identity-headers.ts).
 */
export function withoutHopByHop(
  headers: Readonly<Record<string, HeaderValue>>,
  options: { stripMesh: boolean; keepUpgrade?: boolean },
): Record<string, string | string[]> {
  const named = connectionTokens(headers.connection);
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    const lower = name.toLowerCase();
    const upgradeHeader = options.keepUpgrade === true && (lower === 'connection' || lower === 'upgrade');
    if (!upgradeHeader && (HOP_BY_HOP_HEADERS.has(lower) || named.has(lower))) continue;
    if (options.stripMesh && (lower.startsWith(MESH_HEADER_PREFIX) || isIdentityHeader(lower))) continue;
    out[lower] = value;
  }
  return out;
}

/** The request headers to send upstream: cleaned, with X-Forwarded-For/-Proto for this hop; Host kept. */
export function forwardRequestHeaders(
  headers: IncomingHttpHeaders,
  clientAddress: string | undefined,
  options: { keepUpgrade?: boolean } = {},
): Record<string, string | string[]> {
  const out = withoutHopByHop(headers, { stripMesh: true, keepUpgrade: options.keepUpgrade });
  if (clientAddress !== undefined) {
    const prior = out['x-forwarded-for'];
    const list = prior === undefined ? '' : Array.isArray(prior) ? prior.join(', ') : prior;
    out['x-forwarded-for'] = list === '' ? clientAddress : `${list}, ${clientAddress}`;
  }
  out['x-forwarded-proto'] = 'http';
  return out;
}
