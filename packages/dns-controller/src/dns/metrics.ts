/**
 * Metrics of the mesh DNS server as plain cells (`@nodemesh/kube-runtime/metrics`): a query adds to a
 * counter and to the duration histogram of its transport, nothing more; the text is written when scraped.
 * A query answered from stored bytes finds its counter by index (query type and rcode as numbers); the full
 * path finds the same counter by its label values. Series appear on first use, as before. The controller's
 * own metrics stay on prom-client (they change a few times a second at most); these are on the path of
 * every query.
 */
import type { CounterCell, HistogramCell, MetricsRegistry } from '@nodemesh/kube-runtime/metrics';
import { RRType, rcodeName } from './message.js';
import type { Transport } from './respond.js';

export interface DnsMetrics {
  /** One answered query: its type and rcode names (bounded sets), its transport and how long it took. */
  answered(type: string, rcode: string, transport: Transport, seconds: number): void;
  /** The same, by the query type and rcode as numbers (a stored answer's): no label is looked up. */
  answeredFromStore(type: number, rcode: number, transport: Transport, seconds: number): void;
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
  const cellOf = (type: string, rcode: string, transport: Transport): CounterCell => {
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
    return cell;
  };
  const observe = (transport: Transport, seconds: number): void => {
    duration[transport] ??= durationFamily.cell(transport);
    duration[transport].observe(seconds);
  };
  /** The same cells by number: transport → TYPE_SLOTS[type] * 16 + rcode → cell, filled on first use. */
  const byNumber: Record<Transport, (CounterCell | undefined)[]> = {
    udp: new Array<CounterCell | undefined>((TYPE_SLOT_COUNT + 1) * 16).fill(undefined),
    tcp: new Array<CounterCell | undefined>((TYPE_SLOT_COUNT + 1) * 16).fill(undefined),
  };
  return {
    answered(type, rcode, transport, seconds) {
      cellOf(type, rcode, transport).value++;
      observe(transport, seconds);
    },
    answeredFromStore(type, rcode, transport, seconds) {
      const slot = (TYPE_SLOTS[type] ?? 0) * 16 + rcode;
      let cell = rcode < 16 ? byNumber[transport][slot] : undefined;
      if (cell === undefined) {
        cell = cellOf(metricTypeName(type), rcodeName(rcode), transport);
        if (rcode < 16) byNumber[transport][slot] = cell;
      }
      cell.value++;
      observe(transport, seconds);
    },
    malformed: { inc: ({ transport }) => malformed[transport].inc() },
  };
}

const METRIC_TYPE_NAMES = new Map<number, string>(
  Object.entries(RRType).map(([name, value]) => [value, name]),
);

/** Known type names only, so a sender cannot grow the metric's label set. */
export function metricTypeName(type: number): string {
  return METRIC_TYPE_NAMES.get(type) ?? 'other';
}

/** Query type → 1 + its place among the known types, 0 for the rest (`other`). */
const TYPE_SLOTS = new Uint8Array(0x10000);
for (const [slot, type] of [...METRIC_TYPE_NAMES.keys()].entries()) TYPE_SLOTS[type] = slot + 1;
const TYPE_SLOT_COUNT = METRIC_TYPE_NAMES.size;
