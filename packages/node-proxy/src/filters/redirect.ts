/**
 * RequestRedirect (pure): the status and Location for a request. Unset parts keep the request's own: scheme
 * (http inside the mesh), host (the Host header without its port), port and path. The port is left out when
 * it is the scheme's well-known one; a scheme set without a port takes that scheme's well-known port.
 */
import type { RequestRedirect } from '@nodemesh/smi-types';
import { modifyPath } from './path-modifier.js';

export interface RedirectRequest {
  /** The Host header as sent, perhaps with a port. */
  readonly host: string;
  readonly pathAndQuery: string;
}

export interface RedirectAnswer {
  readonly status: number;
  readonly location: string;
}

const WELL_KNOWN: Readonly<Record<string, number>> = { http: 80, https: 443 };

export function redirectFor(
  redirect: RequestRedirect,
  request: RedirectRequest,
  matchedPrefix: string | undefined,
): RedirectAnswer {
  const { hostname: requestHost, port: requestPort } = splitHost(request.host);
  const scheme = redirect.scheme ?? 'http';
  const hostname = redirect.hostname ?? requestHost;
  const port =
    redirect.port ??
    (redirect.scheme !== undefined ? WELL_KNOWN[scheme] : (requestPort ?? WELL_KNOWN[scheme]));
  const path =
    redirect.path === undefined
      ? request.pathAndQuery
      : modifyPath(request.pathAndQuery, redirect.path, matchedPrefix);
  const authority = port === undefined || port === WELL_KNOWN[scheme] ? hostname : `${hostname}:${port}`;
  return { status: redirect.statusCode, location: `${scheme}://${authority}${path}` };
}

/** `name:port`, `[v6]:port` or a bare name → its parts. */
export function splitHost(host: string): { hostname: string; port: number | undefined } {
  const match = /^(\[[^\]]*\]|[^:]*)(?::(\d{1,5}))?$/.exec(host);
  if (match === null) return { hostname: host, port: undefined };
  const port = match[2] === undefined ? undefined : Number(match[2]);
  return {
    hostname: match[1] ?? host,
    port: port !== undefined && port >= 1 && port <= 65535 ? port : undefined,
  };
}
