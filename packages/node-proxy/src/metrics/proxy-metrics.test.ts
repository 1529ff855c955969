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

  it('binds cells once: the same caller row by object, callers with the same labels share it', () => {
    const metrics = new ProxyMetrics();
    const orders = metrics.destination('shop', 'orders');
    expect(metrics.destination('shop', 'orders')).toBe(orders);
    const web = { namespace: 'shop', workload: 'web', serviceAccount: 'web' };
    const again = { ...web };
    expect(orders.caller(web)).toBe(orders.caller(web));
    expect(orders.caller(again)).toBe(orders.caller(web));
    expect(orders.caller(undefined)).toBe(orders.caller(undefined));
  });

  it('counts TCP bytes and UDP datagrams through meters bound once', async () => {
    const metrics = new ProxyMetrics();
    const labels = { caller: undefined, destinationNamespace: 'shop', destinationService: 'db' };
    const tcp = metrics.tcpConnection(labels);
    for (let i = 0; i < 3; i++) tcp.received(10);
    tcp.closed();
    tcp.closed();
    const udp = metrics.udpSession(labels);
    udp.received();
    udp.sent();
    const text = await metrics.registry.metrics();
    expect(text).toMatch(/nodemesh_tcp_bytes_total\{[^}]*direction="received"\} 30/);
    expect(text).toMatch(/nodemesh_tcp_open_connections\{[^}]*\} 0/);
    expect(text).toMatch(/nodemesh_udp_packets_total\{[^}]*direction="sent"\} 1/);
  });
});
