import { desiredShadowService } from '@nodemesh/smi-types';
import { describe, expect, it } from 'vitest';
import { forwardingRules } from './forwarding-rules.js';

function shadow(clusterIP: string) {
  const manifest = desiredShadowService(
    {
      namespace: 'default',
      name: 'bookstore',
      type: 'ClusterIP',
      clusterIPs: [],
      ports: [{ name: 'http', port: 8080, protocol: 'TCP', targetPort: 8080 }],
      selector: { app: 'bookstore' },
      annotations: {},
      resourceVersion: '1',
    },
    { trafficType: 'http' },
    { allocations: [] },
    { meshNamespace: 'nodemesh' },
  );
  return { ...manifest, spec: { ...manifest.spec, clusterIP, clusterIPs: [clusterIP] } };
}

describe('forwardingRules', () => {
  it('forwards a shadow ClusterIP port to the node-proxy entrypoint', () => {
    expect(forwardingRules([shadow('127.10.0.5')], '127.30.0.1')).toEqual({
      rules: [
        {
          protocol: 'TCP',
          listenHost: '127.10.0.5',
          listenPort: 8080,
          targetHost: '127.30.0.1',
          targetPort: 5000,
        },
      ],
      problems: [],
    });
  });

  it('leaves out ClusterIPs that are not on loopback', () => {
    expect(forwardingRules([shadow('10.96.0.5')], '127.30.0.1').rules).toEqual([]);
  });

  it('reports an unreadable shadow and keeps the others', () => {
    const plan = forwardingRules([{ metadata: { name: 'broken' } }, shadow('127.10.0.6')], '127.30.0.1');
    expect(plan.rules).toHaveLength(1);
    expect(plan.problems[0]?.shadow).toBe('broken');
  });
});
