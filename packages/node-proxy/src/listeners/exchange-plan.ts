/**
 * What the exchange of a request needs from its route and backend, worked out once per snapshot rather than
 * per request: the Services' keys and names, the retries and timeout of the addressed Service, the breaker and
 * retry budget of the called one, and which wrappers the request goes through. A route with no retries, no
 * timeout and no breaker is `direct`: its requests go to the upstream with no resilience wrapper at all and
 * no body buffering. A request a Gateway API rule decided gets a plan of its own (the rule may set timeouts
 * and retries).
 */
import type { RetryConfig } from '@nodemesh/smi-types';
import { planResilience } from '../filters/apply-plan.js';
import type { ServiceBreaker } from '../resilience/circuit-breakers.js';
import type { RetryBudget } from '../resilience/retry-budget.js';
import type { Backend, Route, Snapshot } from '../snapshot/snapshot.js';
import { objectKey } from '../topology/inputs.js';
import type { PolicyContext, RoutingContext } from './listener.js';
import type { ResolvedRequest } from './resolve-request.js';

export interface ExchangePlan {
  /** The called Service's key: its retry metrics and breaker. */
  readonly backendKey: string;
  /** `name.namespace` of the called Service and of the addressed one, for the proxy's answers. */
  readonly backendName: string;
  readonly routeName: string;
  readonly retry: RetryConfig | undefined;
  readonly timeoutMs: number | undefined;
  /** Upstream statuses retried; undefined: the default ones. */
  readonly retryStatuses: ReadonlySet<number> | undefined;
  readonly breaker: ServiceBreaker | undefined;
  readonly budget: RetryBudget | undefined;
  /** No retries, no timeout, no breaker: the request is sent as it is. */
  readonly direct: boolean;
  /** Retries are possible: a request body is held (up to the limit) so it can be sent again. */
  readonly buffersBody: boolean;
}

/** The plan of a route and backend under a snapshot; Gateway API rules aside. */
export function planExchange(
  policy: PolicyContext,
  snapshot: Snapshot,
  route: Route,
  backend: Backend,
  resolved?: ResolvedRequest,
): ExchangePlan {
  const rootKey = objectKey(route.service.namespace, route.service.name);
  const backendKey = objectKey(backend.service.namespace, backend.service.name);
  const rootConfig = snapshot.services.get(rootKey);
  const backendConfig = snapshot.services.get(backendKey);
  // Retries and the timeout are the contract of the Service the caller addressed; the breaker guards the
  // Service actually called (its own annotations, else the addressed Service's).
  // A Gateway API rule's timeouts and retry replace the annotations' where it sets them.
  const { retry, timeoutMs, retryStatuses } = planResilience(resolved?.mesh, rootConfig);
  const breakerConfig = backendConfig?.circuitBreaker ?? rootConfig?.circuitBreaker;
  const breaker = breakerConfig === undefined ? undefined : policy.breakers.get(backendKey, breakerConfig);
  const budget = retry === undefined ? undefined : policy.retryBudgets.get(backendKey, retry);
  return {
    backendKey,
    backendName: `${backend.service.name}.${backend.service.namespace}`,
    routeName: `${route.service.name}.${route.service.namespace}`,
    retry,
    timeoutMs,
    retryStatuses,
    breaker,
    budget,
    direct: retry === undefined && timeoutMs === undefined && breaker === undefined,
    buffersBody: retry !== undefined && retry.attempts > 0,
  };
}

/** Plans by route and backend for the snapshot in use; a new snapshot starts afresh. */
class ExchangePlans {
  #snapshot: Snapshot | undefined;
  #byRoute = new Map<Route, Map<Backend, ExchangePlan>>();

  get(policy: PolicyContext, resolved: ResolvedRequest): ExchangePlan {
    const { snapshot, route, backend } = resolved;
    if (resolved.mesh !== undefined) return planExchange(policy, snapshot, route, backend, resolved);
    if (snapshot !== this.#snapshot) {
      this.#snapshot = snapshot;
      this.#byRoute = new Map();
    }
    let byBackend = this.#byRoute.get(route);
    if (byBackend === undefined) {
      byBackend = new Map();
      this.#byRoute.set(route, byBackend);
    }
    let plan = byBackend.get(backend);
    if (plan === undefined) {
      plan = planExchange(policy, snapshot, route, backend);
      byBackend.set(backend, plan);
    }
    return plan;
  }
}

const plansByContext = new WeakMap<RoutingContext, ExchangePlans>();

/** The exchange plan of a resolved request, from the plans its routing context keeps. */
export function exchangePlan(ctx: RoutingContext, resolved: ResolvedRequest): ExchangePlan {
  let plans = plansByContext.get(ctx);
  if (plans === undefined) {
    plans = new ExchangePlans();
    plansByContext.set(ctx, plans);
  }
  return plans.get(ctx.policy, resolved);
}
