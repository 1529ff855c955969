/**
 * One HTTP request through a mesh route table (pure): the rule it matches, then what the rule says — a
 * redirect, a 500 for a rule the proxy cannot honour, or a backend picked by weight with the rewritten
 * Host and path the upstream receives. The caller maps the outcome to its answer.
 */

import type { RandomSource } from '../balancer/random.js';
import { pickWeighted } from '../balancer/weighted-choice.js';
import { redirectFor } from '../filters/redirect.js';
import { rewriteUrl } from '../filters/url-rewrite.js';
import type { CompiledRule, HttpRuleTable, RuleBackend } from '../snapshot/mesh-routing.js';
import type { Backend } from '../snapshot/snapshot.js';
import { type RuleRequest, selectMatch } from './select-rule.js';

/** What the request path applies after routing: the rule (header modifiers, timeouts, retry) and the new URL. */
export interface MeshPlan {
  readonly rule: CompiledRule;
  /** The backendRef chosen, with its own header modifiers. */
  readonly chosen: RuleBackend;
  /** Path and query for the upstream (after URLRewrite). */
  readonly pathAndQuery: string;
  /** Host for the upstream when URLRewrite changed it; undefined: keep the request's. */
  readonly host: string | undefined;
}

export type MeshDecision =
  | { readonly kind: 'route'; readonly backend: Backend; readonly plan: MeshPlan }
  | {
      readonly kind: 'redirect';
      readonly status: number;
      readonly location: string;
      readonly rule: CompiledRule;
    }
  | { readonly kind: 'no-match' }
  /** The rule names a filter the proxy does not implement, or a backend it cannot send to, or none: 500. */
  | { readonly kind: 'unusable'; readonly rule: CompiledRule; readonly reason: string };

export function decideMeshRule(
  table: HttpRuleTable,
  request: RuleRequest,
  /** The Host header (`:authority` over HTTP/2) as sent. */
  host: string,
  random: RandomSource,
): MeshDecision {
  const match = selectMatch(table, request);
  if (match === undefined) return { kind: 'no-match' };
  const { rule } = match;
  if (rule.unsupported !== undefined)
    return { kind: 'unusable', rule, reason: `unsupported ${rule.unsupported}` };
  const prefix = match.path.type === 'PathPrefix' ? match.path.value : undefined;
  if (rule.redirect !== undefined) {
    const answer = redirectFor(rule.redirect, { host, pathAndQuery: request.path }, prefix);
    return { kind: 'redirect', status: answer.status, location: answer.location, rule };
  }
  const chosen = pickWeighted(rule.backends, rule.totalWeight, random);
  if (chosen === undefined) return { kind: 'unusable', rule, reason: 'no backend with weight' };
  if (chosen.backend === undefined)
    return { kind: 'unusable', rule, reason: chosen.problem ?? 'BackendNotFound' };
  let pathAndQuery = request.path;
  let upstreamHost: string | undefined;
  if (rule.rewrite !== undefined) {
    const rewritten = rewriteUrl(rule.rewrite, { host, pathAndQuery }, prefix);
    pathAndQuery = rewritten.pathAndQuery;
    if (rewritten.host !== host) upstreamHost = rewritten.host;
  }
  return { kind: 'route', backend: chosen.backend, plan: { rule, chosen, pathAndQuery, host: upstreamHost } };
}
