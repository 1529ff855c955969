import { describe, expect, it } from 'vitest';
import { parseExposition } from './exposition.js';
import { countersOf, difference, type ProxyScrape, quantile, statRows } from './traffic.js';

const labels = (svc: string, status: string, caller = 'web') =>
  `source_namespace="shop",source_workload="${caller}",destination_namespace="shop",destination_service="${svc}",method="GET",status_class="${status}"`;

function metrics(ok: number, failed: number, fastBucket: number): string {
  return [
    `nodemesh_http_requests_total{${labels('orders', '2xx')}} ${ok}`,
    `nodemesh_http_requests_total{${labels('orders', '5xx')}} ${failed}`,
    `nodemesh_http_request_duration_seconds_bucket{le="0.01",${labels('orders', '2xx')}} ${fastBucket}`,
    `nodemesh_http_request_duration_seconds_bucket{le="0.1",${labels('orders', '2xx')}} ${ok}`,
    `nodemesh_http_request_duration_seconds_bucket{le="+Inf",${labels('orders', '2xx')}} ${ok}`,
    `nodemesh_http_request_duration_seconds_bucket{le="0.01",${labels('orders', '5xx')}} ${failed}`,
    `nodemesh_http_request_duration_seconds_bucket{le="0.1",${labels('orders', '5xx')}} ${failed}`,
    `nodemesh_http_request_duration_seconds_bucket{le="+Inf",${labels('orders', '5xx')}} ${failed}`,
    'nodemesh_tcp_connections_total{source_namespace="shop",source_workload="web",destination_namespace="shop",destination_service="db"} 4',
    'nodemesh_tcp_bytes_total{source_namespace="shop",source_workload="web",destination_namespace="shop",destination_service="db",direction="sent"} 100',
    'nodemesh_tcp_bytes_total{source_namespace="shop",source_workload="web",destination_namespace="shop",destination_service="db",direction="received"} 50',
    'process_start_time_seconds 1000',
  ].join('\n');
}

const scrape = (
  pod: string,
  at: number,
  text: string,
  kind: 'svc' | 'ns' | 'caller' = 'svc',
): ProxyScrape => ({
  pod,
  at,
  startedAt: 1000,
  rows: countersOf(kind, parseExposition(text).samples),
});

describe('quantile (as histogram_quantile)', () => {
  it('interpolates within a bucket and stops at the highest finite bound', () => {
    const buckets = new Map([
      [0.1, 50],
      [0.2, 100],
      [Number.POSITIVE_INFINITY, 100],
    ]);
    expect(quantile(0.5, buckets)).toBeCloseTo(0.1);
    expect(quantile(0.75, buckets)).toBeCloseTo(0.15);
    expect(quantile(0.25, buckets)).toBeCloseTo(0.05);
    expect(
      quantile(
        0.99,
        new Map([
          [0.1, 1],
          [Number.POSITIVE_INFINITY, 100],
        ]),
      ),
    ).toBeCloseTo(0.1);
    expect(quantile(0.5, new Map())).toBeUndefined();
  });
});

describe('statRows', () => {
  it('gives the increase over the window, summed over proxies, with success rate and rate per second', () => {
    const before = [scrape('p1', 10_000, metrics(10, 0, 10)), scrape('p2', 10_000, metrics(0, 0, 0))];
    const after = [scrape('p1', 20_000, metrics(40, 5, 25)), scrape('p2', 20_000, metrics(5, 5, 5))];
    const [db, orders] = statRows(before, after);
    expect(orders?.name).toBe('orders');
    expect(orders?.requests).toBe(45); // 35 from p1, 10 from p2
    expect(orders?.successRate).toBeCloseTo(35 / 45);
    expect(orders?.rps).toBeCloseTo(4.5);
    expect(orders?.latencyP50Ms).toBeLessThanOrEqual(10);
    expect(db?.tcpConnections).toBe(0);
  });

  it('with no earlier scrape gives totals since each proxy started', () => {
    const [db, orders] = statRows(undefined, [scrape('p1', 1_010_000, metrics(40, 10, 25))]);
    expect(orders?.requests).toBe(50);
    expect(orders?.rps).toBeCloseTo(50 / 10);
    expect(db?.tcpConnections).toBe(4);
    expect(db?.tcpBytes).toBe(150);
  });

  it('treats a counter that went down as a restart', () => {
    const later = countersOf('svc', parseExposition(metrics(3, 0, 3)).samples).get('shop/orders')?.counters;
    const earlier = countersOf('svc', parseExposition(metrics(40, 0, 40)).samples).get(
      'shop/orders',
    )?.counters;
    if (later === undefined || earlier === undefined) throw new Error('no counters');
    expect(difference(earlier, later).requests).toBe(3);
  });

  it('groups by calling workload or by namespace', () => {
    expect(
      statRows(undefined, [scrape('p', 1_001_000, metrics(1, 1, 1), 'caller')]).map(
        (r) => `${r.namespace}/${r.name}`,
      ),
    ).toEqual(['shop/web']);
    expect(
      statRows(undefined, [scrape('p', 1_001_000, metrics(1, 1, 1), 'ns')]).map((r) => r.requests),
    ).toEqual([2]);
  });
});
