/** What every listener offers the manager, and what they share to route. */
import type { EndpointBalancer } from '../balancer/endpoint-balancer.js';
import type { RandomSource } from '../balancer/random.js';
import type { CallerResolver } from '../metrics/caller-resolver.js';
import type { ProxyMetrics } from '../metrics/proxy-metrics.js';
import type { CircuitBreakers } from '../resilience/circuit-breakers.js';
import type { RateLimiters } from '../resilience/rate-limiters.js';
import type { RetryBudgets } from '../resilience/retry-budgets.js';
import type { Snapshot } from '../snapshot/snapshot.js';
import type { Tracer } from '../tracing/tracer.js';
import type { TunnelRouter } from '../tunnel/tunnel-router.js';

export type ListenerKind = 'http' | 'tcp' | 'udp';

export interface Listener {
  readonly kind: ListenerKind;
  /** The port in the snapshot (entrypoint or allocated port); the bound port may differ (port 0 in tests). */
  readonly logicalPort: number;
  listen(host: string, port: number): Promise<void>;
  /** The bound port, once listening. */
  boundPort(): number | undefined;
  /** Stops accepting, waits for in-flight work until the deadline, then cuts what is left. */
  close(deadlineMs: number): Promise<void>;
  /** Closes the long-lived connections (tunnels, TCP) a new snapshot no longer admits. */
  revalidate?(snapshot: Snapshot): void;
}

/** The shared state listeners route with. `snapshot()` is called once per request or connection. */
export interface RoutingContext {
  readonly snapshot: () => Snapshot;
  readonly balancer: EndpointBalancer;
  readonly random: RandomSource;
  readonly metrics: ProxyMetrics;
  readonly callers: CallerResolver;
  readonly policy: PolicyContext;
  /** How a call reaches a pod on another node: the tunnel, plaintext, or not at all (docs/mtls.md). */
  readonly tunnels: TunnelRouter;
}

/** The policy chain's state: shared by all listeners, kept across snapshots. */
export interface PolicyContext {
  /** On: only what a TrafficTarget allows passes. Off: everything passes. */
  readonly accessControl: boolean;
  readonly limiters: RateLimiters;
  readonly breakers: CircuitBreakers;
  readonly retryBudgets: RetryBudgets;
  /** Undefined when tracing is off: then no span objects are made. */
  readonly tracer: Tracer | undefined;
  /** Largest request body buffered so it can be retried; larger ones stream and are not retried. */
  readonly retryBodyLimit: number;
}
