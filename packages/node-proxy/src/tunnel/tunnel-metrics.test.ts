import { MetricsRegistry } from '@nodemesh/kube-runtime/metrics';
import { describe, expect, it } from 'vitest';
import { TunnelMetrics } from './tunnel-metrics.js';

const WEB = { trustDomain: 'cluster.local', namespace: 'shop', serviceAccount: 'web' };
const ORDERS_ID = 'spiffe://cluster.local/ns/shop/sa/orders';

describe('TunnelMetrics', () => {
  it('counts streams and bytes by verified source and destination identity, rendered when scraped', async () => {
    const metrics = new TunnelMetrics((podIP) => (podIP === '10.0.0.5' ? ORDERS_ID : undefined));
    const registry = new MetricsRegistry();
    metrics.register(registry, () => undefined);
    const target = { podIP: '10.0.0.5', port: 8080 };
    metrics.decided(WEB, target, 'accepted');
    metrics.decided(WEB, { podIP: '10.0.0.5', port: 8080 }, 'denied-by-policy');
    metrics.decided(WEB, { podIP: '10.0.0.9', port: 8080 }, 'not-on-this-node');
    metrics.decided(undefined, undefined, 'no-identity');
    metrics.closed(WEB, target, { bytesToPod: 4, bytesFromPod: 18 });
    const text = await registry.metrics();
    const web = 'source_identity="spiffe://cluster.local/ns/shop/sa/web"';
    expect(text).toContain(
      `nodemesh_tunnel_inbound_streams_total{${web},destination_identity="${ORDERS_ID}",outcome="accepted"} 1`,
    );
    expect(text).toContain(
      `nodemesh_tunnel_inbound_streams_total{${web},destination_identity="${ORDERS_ID}",outcome="denied_by_policy"} 1`,
    );
    expect(text).toContain(
      `nodemesh_tunnel_inbound_streams_total{${web},destination_identity="unknown",outcome="not_on_this_node"} 1`,
    );
    expect(text).toContain(
      'nodemesh_tunnel_inbound_streams_total{source_identity="unknown",destination_identity="unknown",outcome="no_identity"} 1',
    );
    expect(text).toContain(
      `nodemesh_tunnel_inbound_bytes_total{${web},destination_identity="${ORDERS_ID}",direction="to_pod"} 4`,
    );
    expect(text).toContain(
      `nodemesh_tunnel_inbound_bytes_total{${web},destination_identity="${ORDERS_ID}",direction="from_pod"} 18`,
    );
    // No tunnel server: no connection families.
    expect(text).not.toContain('nodemesh_tunnel_inbound_connections_refused_total');
  });
});
