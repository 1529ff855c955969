/**
 * Header rewriting at the proxy (pure): hop-by-hop headers are the connection's, not the message's, and
 * mesh-internal headers are the proxy's to set, so a caller can forge neither through us.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { dashedName, isIdentityHeader } from '../policy/identity-headers.js';

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

/**
 * End-to-end headers the proxy needs, which a `Connection` header cannot make hop-by-hop: `Connection: host`
 * would otherwise send the request on without the Host it was routed by.
 */
export const NEVER_CONNECTION_NAMED: ReadonlySet<string> = new Set(['host', 'content-length']);

/**
 * Request headers the proxy answers itself and never forwards: `Expect: 100-continue` is answered once
 * policy admits the request (as Envoy does by default), and undici refuses to send the header anyway.
 */
const ANSWERED_BY_PROXY: ReadonlySet<string> = new Set(['expect']);

type HeaderValue = string | string[] | undefined;

/** Shared by every message without a `Connection` header: nothing to allocate. */
const NO_TOKENS: ReadonlySet<string> = new Set();

/** The usual `Connection` values, parsed once (nearly every upstream response says `keep-alive`). */
const COMMON_TOKENS: ReadonlyMap<string, ReadonlySet<string>> = new Map(
  ['keep-alive', 'close', 'Keep-Alive', 'Close', 'upgrade', 'Upgrade'].map((v) => [
    v,
    new Set([v.toLowerCase()]),
  ]),
);

/** The header names a `Connection` header lists, lower case, less those it may not name. */
function connectionTokens(connection: HeaderValue): ReadonlySet<string> {
  if (connection === undefined) return NO_TOKENS;
  if (typeof connection === 'string') {
    const common = COMMON_TOKENS.get(connection);
    if (common !== undefined) return common;
  }
  const tokens = new Set<string>();
  const values = Array.isArray(connection) ? connection : [connection];
  for (const value of values) {
    for (const token of value.split(',')) {
      const name = token.trim().toLowerCase();
      if (name !== '' && !NEVER_CONNECTION_NAMED.has(name)) tokens.add(name);
    }
  }
  return tokens;
}

/**
 * Whether a (lower-case) name is the mesh's to set: `x-nodemesh-*` and the identity headers, in any spelling,
 * and the underscore spellings of the forwarding and hop-by-hop headers the proxy sets or strips.
 */
function reservedForMesh(name: string): boolean {
  const dashed = dashedName(name);
  if (dashed.startsWith(MESH_HEADER_PREFIX) || isIdentityHeader(dashed)) return true;
  return dashed !== name && (dashed.startsWith('x-forwarded-') || HOP_BY_HOP_HEADERS.has(dashed));
}

/**
 * A copy without hop-by-hop headers, the headers `Connection` names, and with `stripMesh` mesh headers and
 * identity headers a caller could forge (see policy/identity-headers.ts).
 */
export function withoutHopByHop(
  headers: Readonly<Record<string, HeaderValue>>,
  options: { stripMesh: boolean },
): Record<string, string | string[]> {
  const named = connectionTokens(headers.connection);
  const out: Record<string, string | string[]> = {};
  // Runs twice per proxied request: a plain loop over the names, no [name, value] pair per header.
  for (const name of Object.keys(headers)) {
    const value = headers[name];
    if (value === undefined) continue;
    const lower = name.toLowerCase();
    if (HOP_BY_HOP_HEADERS.has(lower) || named.has(lower)) continue;
    if (options.stripMesh && reservedForMesh(lower)) continue;
    out[lower] = value;
  }
  return out;
}

/**
 * The request headers to send upstream: cleaned, without `Expect`, with X-Forwarded-For/-Proto for this hop;
 * Host kept, or `host` when the request named its authority in an absolute-form target.
 */
export function forwardRequestHeaders(
  headers: IncomingHttpHeaders,
  clientAddress: string | undefined,
  options: { host?: string } = {},
): Record<string, string | string[]> {
  const out = withoutHopByHop(headers, { stripMesh: true });
  for (const name of ANSWERED_BY_PROXY) delete out[name];
  if (options.host !== undefined) out.host = options.host;
  if (clientAddress !== undefined) {
    const prior = out['x-forwarded-for'];
    const list = prior === undefined ? '' : Array.isArray(prior) ? prior.join(', ') : prior;
    out['x-forwarded-for'] = list === '' ? clientAddress : `${list}, ${clientAddress}`;
  }
  out['x-forwarded-proto'] = 'http';
  return out;
}

/** A header name or value as undici hands it over HTTP/1.1. */
type RawItem = Buffer | string | string[];

/**
 * The response head to send the caller, as a flat list of names and values (what `writeHead` takes), straight
 * from the upstream's raw list: hop-by-hop headers, those `Connection` names and mesh headers left out, no
 * object built. Names keep the upstream's spelling.
 */
export function responseHeaderList(raw: readonly RawItem[]): string[] {
  const out: string[] = [];
  let connection: string[] | undefined;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const item = raw[i];
    if (item === undefined || Array.isArray(item)) continue;
    const name = text(item);
    const verdict = nameVerdict(name);
    const value = raw[i + 1];
    if (verdict.lower === 'connection') {
      connection ??= [];
      if (Array.isArray(value)) connection.push(...value);
      else if (value !== undefined) connection.push(text(value));
    }
    if (verdict.dropped) continue;
    if (Array.isArray(value)) for (const one of value) out.push(name, one);
    else if (value !== undefined) out.push(name, text(value));
  }
  if (connection === undefined) return out;
  // Nearly always `keep-alive` or `close`, hop-by-hop already: only other names cost a second pass.
  const named = connectionTokens(connection.length === 1 ? connection[0] : connection);
  let extra = false;
  for (const token of named) if (!HOP_BY_HOP_HEADERS.has(token)) extra = true;
  if (!extra) return out;
  const kept: string[] = [];
  for (let i = 0; i + 1 < out.length; i += 2) {
    const name = out[i] as string;
    if (!named.has(nameVerdict(name).lower)) kept.push(name, out[i + 1] as string);
  }
  return kept;
}

/**
 * A name or value as undici read it: bytes taken one for one (latin1), as node:http writes them out again, so
 * an obs-text byte passes unchanged rather than as a replacement character.
 */
function text(item: Buffer | string): string {
  return typeof item === 'string' ? item : item.toString('latin1');
}

/** What the proxy makes of a header name as spelled: its lower case, and whether it never passes. */
interface NameVerdict {
  readonly lower: string;
  readonly dropped: boolean;
}

/** Verdicts by spelling: upstreams send the same few names on every response. Bounded: a flood is forgotten. */
const verdicts = new Map<string, NameVerdict>();
const MAX_VERDICTS = 512;

function nameVerdict(name: string): NameVerdict {
  let verdict = verdicts.get(name);
  if (verdict === undefined) {
    const lower = name.toLowerCase();
    verdict = { lower, dropped: HOP_BY_HOP_HEADERS.has(lower) || reservedForMesh(lower) };
    if (verdicts.size >= MAX_VERDICTS) verdicts.clear();
    verdicts.set(name, verdict);
  }
  return verdict;
}
