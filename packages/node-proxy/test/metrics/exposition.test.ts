/**
 * The cells replaced prom-client without changing what Prometheus reads: the same calls give the same
 * families (HELP, TYPE), the same series (names and labels, in order) and the same values as prom-client
 * 15's output recorded in prom-client-15.golden.txt. The one difference allowed: a series prom-client made
 * only on first use may already show at zero (a TCP connection's `sent` bytes before any byte was sent).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ProxyMetrics } from '../../src/metrics/proxy-metrics.js';

const golden = readFileSync(new URL('./prom-client-15.golden.txt', import.meta.url), 'utf8');

/**
 * The calls that produced the golden file (prom-client 15.1.3 behind the same methods: main's ProxyMetrics before the
 * cells, whose `udpPacket(labels, direction)` the UDP session meters replace).
 */
function replay(metrics: ProxyMetrics): void {
  const caller = { namespace: 'shop', workload: 'web', serviceAccount: 'web' };
  const a = { caller, destinationNamespace: 'shop', destinationService: 'orders' };
  const u = { caller: undefined, destinationNamespace: 'shop', destinationService: 'cart' };
  metrics.httpRequest(a, 'GET', 200, 0.003);
  metrics.httpRequest(a, 'GET', 200, 0.2);
  metrics.httpRequest(a, 'BREW', 503, 12);
  metrics.httpRequest(u, 'POST', 404, 0.0001);
  const t = metrics.tcpConnection(a);
  t.received(100);
  t.sent(7);
  t.closed();
  const t2 = metrics.tcpConnection(u);
  t2.received(5);
  const udp = metrics.udpSession(a);
  udp.received();
  udp.sent();
  udp.received();
  metrics.denied(u, 'http', 'no_traffic_target');
  metrics.denied(a, 'udp', 'unknown_caller');
  metrics.rateLimited(a);
  metrics.retry('shop/orders', 'attempted');
  metrics.retry('shop/orders', 'budget_exhausted');
  metrics.proxyError(a, 'NM_CIRCUIT_OPEN');
  metrics.proxyError(u, 'NM_NO_ENDPOINT');
  metrics.breakerState('shop/orders', 'open');
  metrics.breakerState('shop/cart', 'closed');
  metrics.breakerState('shop/cart', undefined);
  // Hostile callers (main's hardening): connection limits, revoked connections, dropped datagrams.
  metrics.connectionRejected(caller, 'http', 'source_limit');
  metrics.connectionRejected(undefined, 'tcp', 'total_limit');
  metrics.downstreamConnection('http', 1);
  metrics.downstreamConnection('http', 1);
  metrics.downstreamConnection('http', -1);
  metrics.downstreamConnection('tcp', 1);
  metrics.connectionRevoked(a, 'websocket', 'access_denied');
  metrics.connectionRevoked(u, 'tcp', 'route_gone');
  metrics.udpDropped(caller, 'source_limit');
  metrics.udpDropped(caller, 'source_limit');
  metrics.udpDropped(undefined, 'no_route');
  metrics.spanTotals(3, 1);
  metrics.snapshotApplied(7, 0.002);
  metrics.snapshotApplied(8, undefined);
}

/** HELP/TYPE lines, and samples as `name{labels}` → value. */
function parse(text: string) {
  const headers: string[] = [];
  const samples = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) headers.push(line);
    else if (line !== '') {
      const space = line.lastIndexOf(' ');
      samples.set(line.slice(0, space), Number(line.slice(space + 1)));
    }
  }
  return { headers, samples };
}

describe('exposition of ProxyMetrics', () => {
  it('matches what prom-client exported for the same calls', async () => {
    const metrics = new ProxyMetrics();
    replay(metrics);
    const ours = parse(await metrics.registry.metrics());
    const theirs = parse(golden);
    // Families added after the golden was recorded (mTLS, docs/mtls.md): headers only, no series until called.
    const newer = ['nodemesh_mesh_calls_total', 'nodemesh_mtls_fallbacks_total'];
    const isNewer = (header: string) => newer.some((name) => header.includes(` ${name} `));
    expect(ours.headers.filter((h) => !isNewer(h))).toEqual(theirs.headers);
    expect(ours.headers.filter(isNewer)).toHaveLength(2 * newer.length);
    for (const [series, value] of theirs.samples)
      expect([series, ours.samples.get(series)]).toEqual([series, value]);
    const extra = [...ours.samples].filter(([series]) => !theirs.samples.has(series));
    expect(extra).toEqual([
      [
        'nodemesh_tcp_bytes_total{source_namespace="unknown",source_workload="unknown",destination_namespace="shop",destination_service="cart",direction="sent"}',
        0,
      ],
    ]);
    // Same order of series within each family.
    const order = (samples: Map<string, number>) => [...samples.keys()].filter((k) => theirs.samples.has(k));
    expect(order(ours.samples)).toEqual([...theirs.samples.keys()]);
  });
});
