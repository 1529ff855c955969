import { describe, expect, it } from 'vitest';
import { meshService, readyEndpoints, topologyInputs } from '../../test/fixtures.js';
import { withPolicy } from '../../test/policy/policy-fixtures.js';
import { CircuitBreakers } from '../resilience/circuit-breakers.js';
import { RateLimiters } from '../resilience/rate-limiters.js';
import { RetryBudgets } from '../resilience/retry-budgets.js';
import type { Snapshot } from '../snapshot/snapshot.js';
import { createTopologyBuilder } from '../topology/topology-builder.js';
import { planExchange } from './exchange-plan.js';
import type { PolicyContext } from './listener.js';

const policy: PolicyContext = {
  accessControl: false,
  limiters: new RateLimiters(),
  breakers: new CircuitBreakers(),
  retryBudgets: new RetryBudgets(),
  tracer: undefined,
  retryBodyLimit: 1024,
};

function routeOf(snapshot: Snapshot) {
  const route = snapshot.http.get(5000)?.hosts.get('orders.shop.mesh');
  if (route === undefined) throw new Error('no route for orders');
  return { route, backend: route.root };
}

describe('the exchange plan of a route', () => {
  const plain = meshService('shop', 'orders', [{ port: 80, targetPort: 5000 }]);
  const endpoints = { 'shop/orders': readyEndpoints([{ address: '10.0.0.1', port: 8080 }]) };

  it('a route without retries, timeout or breaker is sent as it is, its body never held', () => {
    const snapshot = createTopologyBuilder().build(topologyInputs({ services: [plain], endpoints }));
    const { route, backend } = routeOf(snapshot);
    const plan = planExchange(policy, snapshot, route, backend);
    expect(plan).toMatchObject({ direct: true, buffersBody: false, breaker: undefined, budget: undefined });
    expect(plan.backendName).toBe('orders.shop');
  });

  it('retries, a timeout or a breaker put the route through the resilience wrapper', () => {
    const breakerConfig = { errorPercentage: 50, minimumRequests: 5, windowMs: 1000, openDurationMs: 1000 };
    const resilient = withPolicy(plain, {
      config: { retry: { attempts: 2, perTryTimeoutMs: 100 }, circuitBreaker: breakerConfig },
    });
    const snapshot = createTopologyBuilder().build(topologyInputs({ services: [resilient], endpoints }));
    const { route, backend } = routeOf(snapshot);
    const plan = planExchange(policy, snapshot, route, backend);
    expect(plan.direct).toBe(false);
    expect(plan.buffersBody).toBe(true);
    expect(plan.breaker).toBe(policy.breakers.get('shop/orders', breakerConfig));
    const timeoutOnly = withPolicy(plain, { config: { timeoutMs: 500 } });
    const other = createTopologyBuilder().build(topologyInputs({ services: [timeoutOnly], endpoints }));
    const parts = routeOf(other);
    expect(planExchange(policy, other, parts.route, parts.backend)).toMatchObject({
      direct: false,
      buffersBody: false,
      timeoutMs: 500,
    });
  });
});
