/**
 * The request target of an HTTP request, read once at the edge (pure): what the route, the policy and the
 * upstream all see. RFC 9112 §3.2:
 * - origin-form `/path?query`: the path normalised (path-normaliser.ts), the query passed on as it came;
 * - absolute-form `http://authority/path?query` (HTTP/1.1 only, as a client talking to a proxy sends it): the
 *   authority of the URI replaces Host (§3.2.2) and the request goes on in origin-form. Only `http`; userinfo
 *   is refused;
 * - asterisk-form `*` (OPTIONS only): about the server itself, answered by the proxy (see OPTIONS_ANSWER);
 * - authority-form (CONNECT) and anything else: refused.
 */
import { normalisePath, PATH_ERROR_MESSAGES } from './path-normaliser.js';

export type RequestTarget =
  | {
      readonly kind: 'origin';
      /** The normalised path and the query: what policy matches and what is forwarded. */
      readonly pathAndQuery: string;
      /** From an absolute-form target: the Host to route by and forward. Undefined: the Host header's. */
      readonly authority: string | undefined;
    }
  | { readonly kind: 'asterisk' };

export type TargetResult = RequestTarget | { readonly error: string };

/** The methods the proxy passes on, for the `Allow` header of its answer to `OPTIONS *`. */
export const OPTIONS_ANSWER_ALLOW = 'GET, HEAD, POST, PUT, DELETE, OPTIONS, PATCH, TRACE';

/** Reads `target` (`req.url`, or `:path` over HTTP/2, where only origin-form and `*` exist). */
export function parseRequestTarget(
  method: string,
  target: string,
  options: { readonly absoluteForm: boolean },
): TargetResult {
  if (target === '*') {
    return method === 'OPTIONS' ? { kind: 'asterisk' } : { error: 'the target * is only for OPTIONS' };
  }
  if (method === 'CONNECT') return { error: 'CONNECT is not proxied' };
  if (target.startsWith('/')) return originForm(target, undefined);
  if (options.absoluteForm && /^[A-Za-z][A-Za-z0-9+.-]*:/.test(target)) return absoluteForm(target);
  return { error: 'the request target must be a path starting with /' };
}

function originForm(pathAndQuery: string, authority: string | undefined): TargetResult {
  if (pathAndQuery.includes('#')) return { error: 'the request target has a fragment (#)' };
  const queryAt = pathAndQuery.indexOf('?');
  const path = queryAt === -1 ? pathAndQuery : pathAndQuery.slice(0, queryAt);
  const query = queryAt === -1 ? '' : pathAndQuery.slice(queryAt);
  const normalised = normalisePath(path);
  if ('error' in normalised) return { error: PATH_ERROR_MESSAGES[normalised.error] };
  return { kind: 'origin', pathAndQuery: normalised.path + query, authority };
}

function absoluteForm(target: string): TargetResult {
  const colon = target.indexOf(':');
  if (target.slice(0, colon).toLowerCase() !== 'http' || !target.startsWith('//', colon + 1)) {
    return { error: 'an absolute request target must be an http:// URI' };
  }
  const rest = target.slice(colon + 3);
  const end = rest.search(/[/?#]/);
  const authority = end === -1 ? rest : rest.slice(0, end);
  if (authority === '' || authority.includes('@')) {
    return { error: 'the URI must name a host, without user information' };
  }
  const after = end === -1 ? '' : rest.slice(end);
  // `http://host?q` has an empty path, which is `/` (RFC 9112 §3.2.1).
  return originForm(after.startsWith('/') ? after : `/${after}`, authority);
}
