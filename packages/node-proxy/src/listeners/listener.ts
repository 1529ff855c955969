/** What every listener offers the manager, and what they share to route. */
import type { EndpointBalancer } from '../balancer/endpoint-balancer.js';
import type { RandomSource } from '../balancer/random.js';
import type { CallerResolver } from '../metrics/caller-resolver.js';
import type { ProxyMetrics } from '../metrics/proxy-metrics.js';
import type { Snapshot } from '../snapshot/snapshot.js';

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
}

/** The shared state listeners route with. `snapshot()` is called once per request or connection. */
export interface RoutingContext {
  readonly snapshot: () => Snapshot;
  readonly balancer: EndpointBalancer;
  readonly random: RandomSource;
  readonly metrics: ProxyMetrics;
  readonly callers: CallerResolver;
}
