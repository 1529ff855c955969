/**
 * Metrics of the DNS server's TCP connections (the table in `tcp-connections.ts`), as plain cells beside the
 * per-query ones (metrics.ts).
 */
import type { CounterCell, GaugeCell, MetricsRegistry } from '@nodemesh/kube-runtime/metrics';

export interface DnsTcpMetrics {
  readonly open: GaugeCell;
  readonly refused: { inc(labels: { readonly reason: string }): void };
  readonly evicted: CounterCell;
}

export function createDnsTcpMetrics(registry: MetricsRegistry): DnsTcpMetrics {
  const open = registry.gauge({
    name: 'nodemesh_dns_tcp_connections',
    help: 'Open TCP connections to the mesh DNS server.',
  });
  const refused = registry.counter({
    name: 'nodemesh_dns_tcp_connections_refused_total',
    help: 'TCP connections to the mesh DNS server closed at once, by reason: per_client (that address already holds its share) or total (the server is full).',
    labelNames: ['reason'],
  });
  const evicted = registry.counter({
    name: 'nodemesh_dns_tcp_connections_evicted_total',
    help: 'Idle TCP connections closed to make room for another client while the mesh DNS server was full.',
  });
  // The refusal series exist from the start (at 0).
  for (const reason of ['per_client', 'total']) refused.cell(reason);
  return {
    open: open.cell(),
    refused: { inc: ({ reason }) => refused.cell(reason).inc() },
    evicted: evicted.cell(),
  };
}
