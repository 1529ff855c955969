/** Prometheus metrics of the mesh DNS server; registered on the registry the caller owns. */
import { Counter, Histogram, type Registry } from 'prom-client';

export interface DnsMetrics {
  readonly queries: Counter<'type' | 'rcode' | 'transport'>;
  readonly answerDuration: Histogram<'transport'>;
  readonly malformed: Counter<'transport'>;
}

export function createDnsMetrics(registry: Registry): DnsMetrics {
  const metrics: DnsMetrics = {
    queries: new Counter({
      name: 'nodemesh_dns_queries_total',
      help: 'DNS queries answered by the mesh DNS server, by query type, response code and transport.',
      labelNames: ['type', 'rcode', 'transport'],
      registers: [registry],
    }),
    answerDuration: new Histogram({
      name: 'nodemesh_dns_answer_duration_seconds',
      help: 'Time from receiving a DNS query to handing its answer to the socket.',
      labelNames: ['transport'],
      buckets: [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05],
      registers: [registry],
    }),
    malformed: new Counter({
      name: 'nodemesh_dns_malformed_queries_total',
      help: 'DNS messages that could not be read as a query (answered FORMERR or dropped).',
      labelNames: ['transport'],
      registers: [registry],
    }),
  };
  // The malformed series exist from the start (at 0): "none seen" rather than "no data".
  for (const transport of ['udp', 'tcp']) metrics.malformed.inc({ transport }, 0);
  return metrics;
}
