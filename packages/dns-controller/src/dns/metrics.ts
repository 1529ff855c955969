/**
 * Metrics of the mesh DNS server as plain cells (`@nodemesh/kube-runtime/metrics`): a query adds to a
 * counter found by three constant strings and to the duration histogram of its transport, nothing more;
 * the text is written when scraped. The controller's own metrics stay on prom-client (they change a few
 * times a second at most); these are on the path of every query.
 */
import type { CounterCell, HistogramCell, MetricsRegistry } from '@nodemesh/kube-runtime/metrics';
import type { Transport } from './respond.js';

export interface DnsMetrics {
  /** One answered query: its type and rcode names (bounded sets), its transport and how long it took. */
  answered(type: string, rcode: string, transport: Transport, seconds: number): void;
  /** Messages that could not be read as a query. */
  readonly malformed: { inc(labels: { readonly transport: Transport }): void };
}

export function createDnsMetrics(registry: MetricsRegistry): DnsMetrics {
  const queries = registry.counter({
    name: 'nodemesh_dns_queries_total',
    help: 'DNS queries answered by the mesh DNS server, by query type, response code and transport.',
    labelNames: ['type', 'rcode', 'transport'],
  });
  const durationFamily = registry.histogram({
    name: 'nodemesh_dns_answer_duration_seconds',
    help: 'Time from receiving a DNS query to handing its answer to the socket.',
    labelNames: ['transport'],
    bounds: [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05],
  });
  const malformedFamily = registry.counter({
    name: 'nodemesh_dns_malformed_queries_total',
    help: 'DNS messages that could not be read as a query (answered FORMERR or dropped).',
    labelNames: ['transport'],
  });
  // The malformed series exist from the start (at 0): "none seen" rather than "no data".
  const malformed: Record<Transport, CounterCell> = {
    udp: malformedFamily.cell('udp'),
    tcp: malformedFamily.cell('tcp'),
  };
  const duration: Record<Transport, HistogramCell | undefined> = { udp: undefined, tcp: undefined };
  /** transport → type → rcode → cell. */
  const cells: Record<Transport, Map<string, Map<string, CounterCell>>> = { udp: new Map(), tcp: new Map() };
  return {
    answered(type, rcode, transport, seconds) {
      let byRcode = cells[transport].get(type);
      if (byRcode === undefined) {
        byRcode = new Map();
        cells[transport].set(type, byRcode);
      }
      let cell = byRcode.get(rcode);
      if (cell === undefined) {
        cell = queries.cell(type, rcode, transport);
        byRcode.set(rcode, cell);
      }
      cell.value++;
      duration[transport] ??= durationFamily.cell(transport);
      duration[transport].observe(seconds);
    },
    malformed: { inc: ({ transport }) => malformed[transport].inc() },
  };
}
