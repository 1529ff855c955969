/**
 * What admitting and sending a request needs from its route and backend, worked out once per snapshot rather
 * than per request: the Services' keys and names, the rate limit of the addressed Service, its retries and
 * timeout, the breaker and retry budget of the called one, and which wrappers the request goes through. A
 * route with no retries, no timeout and no breaker is `direct`: its requests go to the upstream with no
 * resilience wrapper at all and no body buffering. A request a Gateway API rule decided gets a plan of its own (the rule may set timeouts
 * and retries).
 */
import type { RetryConfig } from '@nodemesh/smi-types';
import { planResilience } from '../filters/apply-plan.js';
import type { ServiceBreaker } from '../resilience/circuit-breakers.js';
import type { RetryBudget } from '../resilience/retry-budget.js';
import type { TokenBucket } from '../resilience/token-bucket.js';
import type { MeshPlan } from '../routing/decide-rule.js';
import type { Backend, Route, Snapshot } from '../snapshot/snapshot.js';
import { objectKey } from '../topology/inputs.js';
import type { PolicyContext, RoutingContext } from './listener.js';

export interface ExchangePlan {
  /** The called Service's key: access control, its retry metrics and breaker. */
  readonly backendKey: string;
  /** The addressed Service's token bucket, when it has a rate limit. */
  readonly rateLimiter: TokenBucket | undefined;
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
  mesh?: MeshPlan,
): ExchangePlan {
  const rootKey = objectKey(route.service.namespace, route.service.name);
  const backendKey = objectKey(backend.service.namespace, backend.service.name);
  const rootConfig = snapshot.services.get(rootKey);
  const backendConfig = snapshot.services.get(backendKey);
  // Retries and the timeout are the contract of the Service the caller addressed; the breaker guards the
  // Service actually called (its own annotations, else the addressed Service's).
  // A Gateway API rule's timeouts and retry replace the annotations' where it sets them.
  const { retry, timeoutMs, retryStatuses } = planResilience(mesh, rootConfig);
  const breakerConfig = backendConfig?.circuitBreaker ?? rootConfig?.circuitBreaker;
  const breaker = breakerConfig === undefined ? undefined : policy.breakers.get(backendKey, breakerConfig);
  const budget = retry === undefined ? undefined : policy.retryBudgets.get(backendKey, retry);
  const rateLimit = rootConfig?.rateLimit;
  return {
    backendKey,
    rateLimiter: rateLimit === undefined ? undefined : policy.limiters.get(rootKey, rateLimit),
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

  get(
    policy: PolicyContext,
    snapshot: Snapshot,
    route: Route,
    backend: Backend,
    mesh: MeshPlan | undefined,
  ): ExchangePlan {
    if (mesh !== undefined) return planExchange(policy, snapshot, route, backend, mesh);
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

/**
 * The plan of a request routed to `backend` on `route` (`mesh`: the Gateway API rule that decided it, whose plan
 * is made for it), from the plans its routing context keeps.
 */
export function exchangePlan(
  ctx: RoutingContext,
  snapshot: Snapshot,
  route: Route,
  backend: Backend,
  mesh: MeshPlan | undefined,
): ExchangePlan {
  let plans = plansByContext.get(ctx);
  if (plans === undefined) {
    plans = new ExchangePlans();
    plansByContext.set(ctx, plans);
  }
  return plans.get(ctx.policy, snapshot, route, backend, mesh);
}
