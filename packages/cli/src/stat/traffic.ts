/**
 * The numbers of `nodemesh stat`, from node-proxy metrics: per row (a Service, a namespace, or a calling
 * workload) the counters of one scrape, the difference of two scrapes over a window, and the table rows
 * (success rate, requests per second, latency quantiles from the histogram, TCP connections and bytes).
 * Pure: the scrapes are read elsewhere.
 */
import type { Sample } from './exposition.js';

export type StatKind = 'svc' | 'ns' | 'caller';

export interface RowKey {
  /** The namespace of the Service (svc), the namespace itself (ns), or the caller's namespace (caller). */
  readonly namespace: string;
  /** The Service, the calling workload; "" for ns rows. */
  readonly name: string;
}

export interface Counters {
  requests: number;
  successes: number;
  /** Cumulative counts by bucket upper bound (seconds), +Inf included. */
  buckets: Map<number, number>;
  tcpConnections: number;
  tcpBytes: number;
  /** A gauge: connections open at scrape time. */
  tcpOpen: number;
}

export interface StatRow extends RowKey {
  readonly requests: number;
  /** Share of requests not answered 5xx (and answered at all), 0..1; undefined without requests. */
  readonly successRate: number | undefined;
  readonly rps: number;
  readonly latencyP50Ms: number | undefined;
  readonly latencyP95Ms: number | undefined;
  readonly latencyP99Ms: number | undefined;
  readonly tcpConnections: number;
  readonly tcpOpen: number;
  readonly tcpBytes: number;
}

const HTTP_REQUESTS = 'nodemesh_http_requests_total';
const HTTP_BUCKET = 'nodemesh_http_request_duration_seconds_bucket';
const TCP_CONNECTIONS = 'nodemesh_tcp_connections_total';
const TCP_OPEN = 'nodemesh_tcp_open_connections';
const TCP_BYTES = 'nodemesh_tcp_bytes_total';

export function rowKeyOf(kind: StatKind, labels: Readonly<Record<string, string>>): RowKey | undefined {
  const key =
    kind === 'svc'
      ? { namespace: labels.destination_namespace, name: labels.destination_service }
      : kind === 'ns'
        ? { namespace: labels.destination_namespace, name: '' }
        : { namespace: labels.source_namespace, name: labels.source_workload };
  if (key.namespace === undefined || key.name === undefined) return undefined;
  return { namespace: key.namespace, name: key.name };
}

export const keyText = (key: RowKey): string => `${key.namespace}/${key.name}`;

const empty = (): Counters => ({
  requests: 0,
  successes: 0,
  buckets: new Map(),
  tcpConnections: 0,
  tcpBytes: 0,
  tcpOpen: 0,
});

/** The counters of one proxy's scrape, by row. */
export function countersOf(
  kind: StatKind,
  samples: readonly Sample[],
): Map<string, { key: RowKey; counters: Counters }> {
  const rows = new Map<string, { key: RowKey; counters: Counters }>();
  for (const sample of samples) {
    if (!Number.isFinite(sample.value) || sample.value < 0) continue;
    if (![HTTP_REQUESTS, HTTP_BUCKET, TCP_CONNECTIONS, TCP_OPEN, TCP_BYTES].includes(sample.name)) continue;
    const key = rowKeyOf(kind, sample.labels);
    if (key === undefined) continue;
    let row = rows.get(keyText(key));
    if (row === undefined) {
      row = { key, counters: empty() };
      rows.set(keyText(key), row);
    }
    const c = row.counters;
    switch (sample.name) {
      case HTTP_REQUESTS:
        c.requests += sample.value;
        if (sample.labels.status_class !== '5xx' && sample.labels.status_class !== 'unknown')
          c.successes += sample.value;
        break;
      case HTTP_BUCKET: {
        const le = sample.labels.le === '+Inf' ? Number.POSITIVE_INFINITY : Number(sample.labels.le);
        if (!Number.isNaN(le)) c.buckets.set(le, (c.buckets.get(le) ?? 0) + sample.value);
        break;
      }
      case TCP_CONNECTIONS:
        c.tcpConnections += sample.value;
        break;
      case TCP_OPEN:
        c.tcpOpen += sample.value;
        break;
      case TCP_BYTES:
        c.tcpBytes += sample.value;
        break;
    }
  }
  return rows;
}

/** later − earlier for counters (a counter that went down restarted: its later value is the increase). */
export function difference(earlier: Counters | undefined, later: Counters): Counters {
  if (earlier === undefined) return later;
  const delta = (a: number, b: number) => (b >= a ? b - a : b);
  const reset = later.requests < earlier.requests;
  const buckets = new Map<number, number>();
  for (const [le, count] of later.buckets)
    buckets.set(le, reset ? count : delta(earlier.buckets.get(le) ?? 0, count));
  return {
    requests: delta(earlier.requests, later.requests),
    successes: reset ? later.successes : delta(earlier.successes, later.successes),
    buckets,
    tcpConnections: delta(earlier.tcpConnections, later.tcpConnections),
    tcpBytes: delta(earlier.tcpBytes, later.tcpBytes),
    tcpOpen: later.tcpOpen,
  };
}

/** Like PromQL's histogram_quantile: linear within the bucket; in the +Inf bucket, the highest finite bound. */
export function quantile(q: number, buckets: ReadonlyMap<number, number>): number | undefined {
  const bounds = [...buckets.keys()].sort((a, b) => a - b);
  const total =
    buckets.get(Number.POSITIVE_INFINITY) ??
    (bounds.length > 0 ? (buckets.get(bounds[bounds.length - 1] as number) ?? 0) : 0);
  if (total <= 0) return undefined;
  const rank = q * total;
  let lower = 0;
  let below = 0;
  for (const bound of bounds) {
    const count = buckets.get(bound) ?? 0;
    if (count >= rank) {
      if (bound === Number.POSITIVE_INFINITY) return lower;
      if (count === below) return bound;
      return lower + ((bound - lower) * (rank - below)) / (count - below);
    }
    lower = bound === Number.POSITIVE_INFINITY ? lower : bound;
    below = count;
  }
  return lower;
}

/** Adds per-proxy increases into one row per key. */
export function sumCounters(parts: readonly Counters[]): Counters {
  const sum = empty();
  for (const p of parts) {
    sum.requests += p.requests;
    sum.successes += p.successes;
    sum.tcpConnections += p.tcpConnections;
    sum.tcpBytes += p.tcpBytes;
    sum.tcpOpen += p.tcpOpen;
    for (const [le, count] of p.buckets) sum.buckets.set(le, (sum.buckets.get(le) ?? 0) + count);
  }
  return sum;
}

const ms = (seconds: number | undefined) => (seconds === undefined ? undefined : seconds * 1000);

/** A table row from the increase over `seconds` (the rate is per second of that window). */
export function statRow(key: RowKey, c: Counters, seconds: number): StatRow {
  return {
    ...key,
    requests: c.requests,
    successRate: c.requests > 0 ? c.successes / c.requests : undefined,
    rps: seconds > 0 ? c.requests / seconds : 0,
    latencyP50Ms: ms(quantile(0.5, c.buckets)),
    latencyP95Ms: ms(quantile(0.95, c.buckets)),
    latencyP99Ms: ms(quantile(0.99, c.buckets)),
    tcpConnections: c.tcpConnections,
    tcpOpen: c.tcpOpen,
    tcpBytes: c.tcpBytes,
  };
}

/** One scrape of one proxy: its rows, and when it started (process_start_time_seconds), for --window 0. */
export interface ProxyScrape {
  readonly pod: string;
  readonly at: number;
  readonly startedAt: number | undefined;
  readonly rows: Map<string, { key: RowKey; counters: Counters }>;
}

/**
 * Rows over the window between two scrapes of the same proxies (matched by pod). Without an earlier scrape
 * (`--window 0`), the totals since each proxy started, rated over its uptime.
 */
export function statRows(
  earlier: readonly ProxyScrape[] | undefined,
  later: readonly ProxyScrape[],
): StatRow[] {
  const increases = new Map<string, { key: RowKey; parts: Counters[]; rates: number[] }>();
  for (const scrape of later) {
    const before = earlier?.find((e) => e.pod === scrape.pod);
    const seconds =
      earlier === undefined
        ? scrape.startedAt === undefined
          ? 0
          : (scrape.at - scrape.startedAt * 1000) / 1000
        : before === undefined
          ? 0
          : (scrape.at - before.at) / 1000;
    for (const [text, row] of scrape.rows) {
      const increase = difference(
        earlier === undefined ? undefined : (before?.rows.get(text)?.counters ?? emptyIfNew(before)),
        row.counters,
      );
      const entry = increases.get(text) ?? { key: row.key, parts: [], rates: [] };
      entry.parts.push(increase);
      entry.rates.push(seconds > 0 ? increase.requests / seconds : 0);
      increases.set(text, entry);
    }
  }
  return [...increases.values()]
    .map(({ key, parts, rates }) => ({
      ...statRow(key, sumCounters(parts), 1),
      rps: rates.reduce((a, b) => a + b, 0),
    }))
    .sort((a, b) => keyText(a).localeCompare(keyText(b)));
}

/** A row absent from the earlier scrape of a proxy that was scraped started from zero; a new proxy counts whole. */
function emptyIfNew(before: ProxyScrape | undefined): Counters | undefined {
  return before === undefined ? undefined : empty();
}
