import { describe, expect, it } from 'vitest';
import { ProxyMetrics, statusClass } from './proxy-metrics.js';

describe('proxy metrics', () => {
  it.each([
    [200, '2xx'],
    [404, '4xx'],
    [502, '5xx'],
    [0, 'unknown'],
    [999, 'unknown'],
  ])('status %i is class %s', (status, cls) => expect(statusClass(status)).toBe(cls));

  it('keeps label values bounded: unknown methods become OTHER, unknown callers unknown', async () => {
    const metrics = new ProxyMetrics();
    const labels = { caller: undefined, destinationNamespace: 'shop', destinationService: 'web' };
    metrics.httpRequest(labels, 'BREW', 200, 0.01);
    metrics.httpRequest(labels, 'FROB', 200, 0.01);
    const text = await metrics.registry.getSingleMetricAsString('nodemesh_http_requests_total');
    expect(text).toContain(
      'nodemesh_http_requests_total{source_namespace="unknown",source_workload="unknown",destination_namespace="shop",destination_service="web",method="OTHER",status_class="2xx"} 2',
    );
  });

  it('each instance has its own registry', async () => {
    const a = new ProxyMetrics();
    const b = new ProxyMetrics();
    a.snapshotApplied(3, 0.001);
    expect(await b.registry.getSingleMetricAsString('nodemesh_snapshot_version')).toContain(
      'nodemesh_snapshot_version 0',
    );
  });
});
