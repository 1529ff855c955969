/**
 * `nodemesh stat --prometheus URL`: the same rows from PromQL over the window (instant queries against
 * /api/v1/query), for when a Prometheus scrapes the proxies (deploy/prometheus).
 */
import { CliError, EXIT_FAILED } from '../output/exit-codes.js';
import { keyText, type RowKey, rowKeyOf, type StatKind, type StatRow } from './traffic.js';

const isRec = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const BY: Record<StatKind, string> = {
  svc: 'destination_namespace, destination_service',
  ns: 'destination_namespace',
  caller: 'source_namespace, source_workload',
};

/** The PromQL of each column, for a window like `1m`. Exported for the promql test and the docs. */
export function statQueries(kind: StatKind, window: string): Record<string, string> {
  const by = BY[kind];
  const requests = `nodemesh_http_requests_total`;
  return {
    requests: `sum by (${by}) (increase(${requests}[${window}]))`,
    successes: `sum by (${by}) (increase(${requests}{status_class!~"5xx|unknown"}[${window}]))`,
    rps: `sum by (${by}) (rate(${requests}[${window}]))`,
    p50: `histogram_quantile(0.5, sum by (le, ${by}) (rate(nodemesh_http_request_duration_seconds_bucket[${window}])))`,
    p95: `histogram_quantile(0.95, sum by (le, ${by}) (rate(nodemesh_http_request_duration_seconds_bucket[${window}])))`,
    p99: `histogram_quantile(0.99, sum by (le, ${by}) (rate(nodemesh_http_request_duration_seconds_bucket[${window}])))`,
    tcpConnections: `sum by (${by}) (increase(nodemesh_tcp_connections_total[${window}]))`,
    tcpBytes: `sum by (${by}) (increase(nodemesh_tcp_bytes_total[${window}]))`,
    tcpOpen: `sum by (${by}) (nodemesh_tcp_open_connections)`,
  };
}

type Vector = { labels: Record<string, string>; value: number }[];

async function query(base: string, promql: string): Promise<Vector> {
  const url = `${base.replace(/\/+$/, '')}/api/v1/query?query=${encodeURIComponent(promql)}`;
  let body: unknown;
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(30_000) });
    body = await response.json();
  } catch (error) {
    throw new CliError(
      `Prometheus at ${base}: ${error instanceof Error ? error.message : String(error)}`,
      EXIT_FAILED,
    );
  }
  const answer = isRec(body) ? body : {};
  if (answer.status !== 'success') {
    throw new CliError(`Prometheus at ${base}: ${String(answer.error ?? 'the query failed')}`, EXIT_FAILED);
  }
  const result = isRec(answer.data) ? answer.data.result : undefined;
  return (Array.isArray(result) ? result : []).flatMap((entry: unknown) => {
    if (!isRec(entry) || !isRec(entry.metric) || !Array.isArray(entry.value)) return [];
    const labels: Record<string, string> = {};
    for (const [k, v] of Object.entries(entry.metric)) if (typeof v === 'string') labels[k] = v;
    return [{ labels, value: Number(entry.value[1]) }];
  });
}

export async function statFromPrometheus(base: string, kind: StatKind, window: string): Promise<StatRow[]> {
  const queries = statQueries(kind, window);
  const columns = new Map<string, Map<string, number>>();
  const keys = new Map<string, RowKey>();
  for (const [column, promql] of Object.entries(queries)) {
    const values = new Map<string, number>();
    for (const { labels, value } of await query(base, promql)) {
      const key = rowKeyOf(kind, labels);
      if (key === undefined) continue;
      keys.set(keyText(key), key);
      values.set(keyText(key), value);
    }
    columns.set(column, values);
  }
  const get = (column: string, text: string) => columns.get(column)?.get(text);
  const finite = (v: number | undefined) => (v === undefined || !Number.isFinite(v) ? undefined : v);
  return [...keys.entries()]
    .map(([text, key]) => {
      const requests = Math.round(get('requests', text) ?? 0);
      const successes = get('successes', text) ?? 0;
      const msOf = (column: string) => {
        const v = finite(get(column, text));
        return v === undefined ? undefined : v * 1000;
      };
      return {
        ...key,
        requests,
        successRate: (get('requests', text) ?? 0) > 0 ? successes / (get('requests', text) ?? 1) : undefined,
        rps: get('rps', text) ?? 0,
        latencyP50Ms: msOf('p50'),
        latencyP95Ms: msOf('p95'),
        latencyP99Ms: msOf('p99'),
        tcpConnections: Math.round(get('tcpConnections', text) ?? 0),
        tcpOpen: get('tcpOpen', text) ?? 0,
        tcpBytes: Math.round(get('tcpBytes', text) ?? 0),
      };
    })
    .sort((a, b) => keyText(a).localeCompare(keyText(b)));
}
