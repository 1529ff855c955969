/** Prometheus metrics of the DNS server's TCP connections (the table in `tcp-connections.ts`). */
import { Counter, Gauge, type Registry } from 'prom-client';

export interface DnsTcpMetrics {
  readonly open: Gauge;
  readonly refused: Counter<'reason'>;
  readonly evicted: Counter;
}

export function createDnsTcpMetrics(registry: Registry): DnsTcpMetrics {
  const metrics: DnsTcpMetrics = {
    open: new Gauge({
      name: 'nodemesh_dns_tcp_connections',
      help: 'Open TCP connections to the mesh DNS server.',
      registers: [registry],
    }),
    refused: new Counter({
      name: 'nodemesh_dns_tcp_connections_refused_total',
      help: 'TCP connections to the mesh DNS server closed at once, by reason: per_client (that address already holds its share) or total (the server is full).',
      labelNames: ['reason'],
      registers: [registry],
    }),
    evicted: new Counter({
      name: 'nodemesh_dns_tcp_connections_evicted_total',
      help: 'Idle TCP connections closed to make room for another client while the mesh DNS server was full.',
      registers: [registry],
    }),
  };
  for (const reason of ['per_client', 'total']) metrics.refused.inc({ reason }, 0);
  return metrics;
}
