/**
 * HTTPRouteGroup matches compiled once per snapshot build, evaluated per request. Regular expressions run on
 * RE2 (linear time), so a pattern from the API server cannot stall the proxy.
 */
import type { HTTPMatch } from '@nodemesh/smi-types';
import { RE2JS } from 're2js';

/** One compiled match: every set field must hold. */
export interface HttpMatchRule {
  readonly name: string;
  readonly path: RE2JS | undefined;
  /** Upper-case methods; undefined means any. */
  readonly methods: ReadonlySet<string> | undefined;
  readonly headers: readonly { readonly name: string; readonly value: RE2JS }[];
}

/** The parts of a request a match looks at. Header names are lower case, as node:http gives them. */
export interface MatchableRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
}

/** Compiles a match; returns an error message for a pattern RE2 rejects. */
export function compileHttpMatch(match: HTTPMatch): { rule: HttpMatchRule } | { error: string } {
  try {
    const anyMethod = match.methods.length === 0 || match.methods.includes('*');
    return {
      rule: {
        name: match.name,
        path: match.pathRegex === undefined ? undefined : RE2JS.compile(match.pathRegex),
        methods: anyMethod ? undefined : new Set(match.methods.map((m) => m.toUpperCase())),
        headers: Object.entries(match.headers).map(([name, value]) => ({
          name: name.toLowerCase(),
          value: RE2JS.compile(value),
        })),
      },
    };
  } catch (err) {
    return { error: `match "${match.name}": ${err instanceof Error ? err.message : String(err)}` };
  }
}

/**
 * Whether a request satisfies one rule. The path pattern must match the whole path (query excluded), as
 * Envoy's and Linkerd's regex routes do: `/books` is `/books` only, `/books(/.*)?` its subtree. The path is
 * the normalised one (listeners/path-normaliser.ts). Header patterns match the whole value.
 */
export function matchesRule(rule: HttpMatchRule, request: MatchableRequest): boolean {
  if (rule.methods !== undefined && !rule.methods.has(request.method.toUpperCase())) return false;
  if (rule.path !== undefined) {
    const queryAt = request.path.indexOf('?');
    const path = queryAt === -1 ? request.path : request.path.slice(0, queryAt);
    if (!rule.path.matcher(path).matches()) return false;
  }
  for (const header of rule.headers) {
    const raw = request.headers[header.name];
    if (raw === undefined) return false;
    const value = Array.isArray(raw) ? raw.join(', ') : raw;
    if (!header.value.matcher(value).matches()) return false;
  }
  return true;
}

/** Whether a request satisfies any of the rules. */
export function matchesAny(rules: readonly HttpMatchRule[], request: MatchableRequest): boolean {
  return rules.some((rule) => matchesRule(rule, request));
}
