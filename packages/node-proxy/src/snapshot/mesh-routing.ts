/**
 * The Gateway API mesh routes of one Service port, compiled when the snapshot is built: per caller group a
 * rule table whose matches are already in precedence order, with their regular expressions compiled and
 * their backends resolved, so a request only compares strings and runs matchers.
 */
import type { HeaderModifier, MeshRouteKind, RequestRedirect, UrlRewrite } from '@nodemesh/smi-types';
import type { RE2JS } from 're2js';
import type { Backend } from './snapshot.js';

/** A route rule's backend: resolved, or the reason it cannot be sent to (its share of requests gets 500). */
export interface RuleBackend {
  readonly weight: number;
  readonly backend: Backend | undefined;
  readonly problem: string | undefined;
  /** The backendRef's own header modifiers, applied after the rule's. */
  readonly requestHeaders: HeaderModifier | undefined;
  readonly responseHeaders: HeaderModifier | undefined;
}

export interface CompiledRule {
  readonly route: { readonly kind: MeshRouteKind; readonly namespace: string; readonly name: string };
  /** The rule's `name`, or its index as `rule-<i>`. */
  readonly ruleName: string;
  readonly backends: readonly RuleBackend[];
  readonly totalWeight: number;
  readonly requestHeaders: HeaderModifier | undefined;
  readonly responseHeaders: HeaderModifier | undefined;
  readonly redirect: RequestRedirect | undefined;
  readonly rewrite: UrlRewrite | undefined;
  /** A filter Nodemesh does not implement: matching requests get 500 rather than half the rule. */
  readonly unsupported: string | undefined;
  readonly requestTimeoutMs: number | undefined;
  readonly backendTimeoutMs: number | undefined;
  readonly retry:
    | { readonly attempts: number; readonly codes: ReadonlySet<number>; readonly backoffMs: number }
    | undefined;
}

export type CompiledPathMatch =
  | { readonly type: 'Exact'; readonly value: string }
  /** `value` without a trailing slash ('' for `/`); `withSlash` is `value + '/'`. */
  | { readonly type: 'PathPrefix'; readonly value: string; readonly withSlash: string }
  | { readonly type: 'RegularExpression'; readonly pattern: RE2JS };

export interface CompiledValueMatch {
  readonly name: string;
  readonly exact: string | undefined;
  readonly pattern: RE2JS | undefined;
}

/** One `matches` entry of one rule; every part must hold. */
export interface CompiledMatch {
  readonly path: CompiledPathMatch;
  readonly method: string | undefined;
  readonly headers: readonly CompiledValueMatch[];
  readonly queryParams: readonly CompiledValueMatch[];
  readonly rule: CompiledRule;
}

/** The HTTP rules that apply to one group of callers, most specific match first. */
export interface HttpRuleTable {
  readonly matches: readonly CompiledMatch[];
  /** Whether any match reads the query string (else it is never parsed). */
  readonly readsQuery: boolean;
}

/** Where a TCP connection goes: the weighted backends of the attached TCPRoute(s). */
export interface TcpRuleTable {
  readonly rule: CompiledRule;
}

export interface RuleTables {
  readonly http: HttpRuleTable | undefined;
  readonly tcp: TcpRuleTable | undefined;
}

/** The mesh routes of one Service port: the producer's for every caller, and consumers' by caller namespace. */
export interface MeshRouting {
  readonly producer: RuleTables | undefined;
  readonly consumers: ReadonlyMap<string, RuleTables>;
}
