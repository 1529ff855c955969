/**
 * A mesh rule's effect on the request and response heads (pure), for any request path: the upstream's Host
 * (URLRewrite) and request headers (RequestHeaderModifier), and the caller's response headers
 * (ResponseHeaderModifier); the rule's modifiers first, then the chosen backendRef's. Without a plan the
 * heads pass through unchanged.
 */
import type { RetryConfig } from '@nodemesh/smi-types';
import type { MeshPlan } from '../routing/decide-rule.js';
import { type HeaderObject, modifyHeaders } from './header-modifier.js';

/** Headers already cleaned for the upstream (forwardRequestHeaders) → what the rule sends. */
export function planRequestHeaders(headers: HeaderObject, plan: MeshPlan | undefined): HeaderObject {
  if (plan === undefined) return headers;
  const out = modifyHeaders(modifyHeaders(headers, plan.rule.requestHeaders), plan.chosen.requestHeaders);
  if (plan.host === undefined) return out;
  return { ...out, host: plan.host };
}

/** Upstream response headers (hop-by-hop removed) → what the caller receives. */
export function planResponseHeaders(headers: HeaderObject, plan: MeshPlan | undefined): HeaderObject {
  if (plan === undefined) return headers;
  return modifyHeaders(modifyHeaders(headers, plan.rule.responseHeaders), plan.chosen.responseHeaders);
}

/** Undici's own limit on waiting for a response head, used as the per-try bound when a rule sets none. */
const DEFAULT_TRY_MS = 300_000;

/**
 * The timeout and retries of a request: the rule's `timeouts` and `retry` where it sets them, else the
 * Service's annotations. `retryStatuses` undefined: the default retryable statuses.
 */
export function planResilience(
  plan: MeshPlan | undefined,
  service: { readonly retry: RetryConfig | undefined; readonly timeoutMs: number | undefined } | undefined,
): {
  retry: RetryConfig | undefined;
  timeoutMs: number | undefined;
  retryStatuses: ReadonlySet<number> | undefined;
} {
  const rule = plan?.rule;
  const timeoutMs = rule?.requestTimeoutMs ?? service?.timeoutMs;
  if (rule === undefined || (rule.retry === undefined && rule.backendTimeoutMs === undefined)) {
    return { retry: service?.retry, timeoutMs, retryStatuses: undefined };
  }
  const perTryTimeoutMs =
    rule.backendTimeoutMs ?? service?.retry?.perTryTimeoutMs ?? rule.requestTimeoutMs ?? DEFAULT_TRY_MS;
  const attempts = rule.retry?.attempts ?? service?.retry?.attempts ?? 0;
  const retryStatuses =
    rule.retry === undefined || rule.retry.codes.size === 0 ? undefined : rule.retry.codes;
  return { retry: { attempts, perTryTimeoutMs }, timeoutMs, retryStatuses };
}
