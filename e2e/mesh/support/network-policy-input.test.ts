import { describe, expect, it } from 'vitest';
import { renderNodePolicyRules } from '../../harness/index.js';
import { podManifest } from './manifests.js';
import { policyInputFromApi } from './network-policy-input.js';

const strict = {
  metadata: { namespace: 'shop', name: 'web-mtls' },
  spec: {
    podSelector: { matchLabels: { app: 'web' } },
    policyTypes: ['Ingress'],
    ingress: [
      {
        from: [
          {
            namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'nodemesh' } },
            podSelector: { matchLabels: { 'app.kubernetes.io/component': 'node-proxy' } },
          },
        ],
      },
    ],
  },
};

describe('policyInputFromApi', () => {
  it('knows pods by address and node (host-network ones too), namespaces by labels, policies parsed', () => {
    const input = policyInputFromApi(
      [strict, { metadata: { name: 'no-spec' } }],
      [
        podManifest({
          namespace: 'shop',
          name: 'web',
          node: 'node-c',
          ip: '10.251.3.2',
          labels: { app: 'web' },
        }),
        podManifest({
          namespace: 'nodemesh',
          name: 'node-proxy-node-a',
          node: 'node-a',
          ip: '10.250.0.11',
          labels: { 'app.kubernetes.io/component': 'node-proxy' },
          hostNetwork: true,
        }),
        { metadata: { name: 'pending', namespace: 'shop' }, spec: { nodeName: 'node-a' }, status: {} },
        {
          ...podManifest({ namespace: 'shop', name: 'done', node: 'node-a', ip: '10.251.1.9' }),
          status: { phase: 'Succeeded', podIP: '10.251.1.9' },
        },
        'not a pod',
      ],
      [{ metadata: { name: 'shop', labels: { team: 'a' } } }, 7],
    );
    expect(input.policies.map((p) => p.name)).toEqual(['web-mtls']);
    expect(input.problems).toEqual(['a NetworkPolicy needs metadata.name and a spec']);
    expect(input.pods.map((p) => [p.name, p.ip, p.node, p.hostNetwork])).toEqual([
      ['web', '10.251.3.2', 'node-c', false],
      ['node-proxy-node-a', '10.250.0.11', 'node-a', true],
    ]);
    expect(input.namespaceLabels?.get('shop')).toEqual({ team: 'a' });
    const rules = renderNodePolicyRules('node-c', input);
    expect(rules).toContain('-A NMT-NETPOL-FORWARD -d 10.251.3.2/32');
    expect(rules).toMatch(/-s 10\.250\.0\.11\/32 -j ACCEPT/);
  });
});
