import { describe, expect, it } from 'vitest';
import { chainName, checkServiceRule, renderNodeRules, type ServiceRule } from './kube-proxy-rules.js';

const proxies = [
  { ip: '10.251.1.2', port: 5000, node: 'node-a' },
  { ip: '10.251.2.2', port: 5000, node: 'node-b' },
];
const shadow: ServiceRule = {
  clusterIP: '10.96.0.20',
  port: 8080,
  protocol: 'tcp',
  endpoints: proxies,
  internalTrafficPolicy: 'Local',
};
const ordinary: ServiceRule = { clusterIP: '10.96.0.30', port: 53, protocol: 'udp', endpoints: proxies };

function dnatTargets(text: string): string[] {
  return [...text.matchAll(/--to-destination (\S+)/g)].map((m) => m[1] ?? '');
}

describe('renderNodeRules', () => {
  it('sends a Local Service only to the endpoint on the same node', () => {
    expect(dnatTargets(renderNodeRules('node-a', [shadow]))).toEqual(['10.251.1.2:5000']);
    expect(dnatTargets(renderNodeRules('node-b', [shadow]))).toEqual(['10.251.2.2:5000']);
  });

  it('rejects a Local Service without a local endpoint, and a Service without endpoints', () => {
    const text = renderNodeRules('node-c', [shadow, { ...ordinary, endpoints: [] }]);
    expect(dnatTargets(text)).toEqual([]);
    expect(text).toContain(
      '-A NMT-NO-ENDPOINTS -d 10.96.0.20/32 -p tcp -m tcp --dport 8080 -j REJECT --reject-with icmp-port-unreachable',
    );
    expect(text).toContain('-A NMT-NO-ENDPOINTS -d 10.96.0.30/32 -p udp -m udp --dport 53 -j REJECT');
    expect(text).toContain('-A FORWARD -j NMT-NO-ENDPOINTS\n-A OUTPUT -j NMT-NO-ENDPOINTS');
    expect(renderNodeRules('node-a', [shadow])).not.toContain('REJECT');
  });

  it('spreads a Cluster Service over all endpoints with decreasing probabilities', () => {
    const text = renderNodeRules('node-c', [ordinary]);
    expect(dnatTargets(text)).toEqual(['10.251.1.2:5000', '10.251.2.2:5000']);
    expect(text).toContain('--probability 0.5000000000');
    expect(text.match(/--probability/g)).toHaveLength(1);
    expect(text).toContain('-A NMT-SERVICES -d 10.96.0.30/32 -p udp -m udp --dport 53 -j NMT-SVC-');
  });

  it('hooks pod traffic (PREROUTING) and node traffic (OUTPUT) and masquerades hairpins', () => {
    const text = renderNodeRules('node-a', [shadow]);
    expect(text.startsWith('*nat\n')).toBe(true);
    expect(text).toContain('-A PREROUTING -j NMT-SERVICES');
    expect(text).toContain('-A OUTPUT -j NMT-SERVICES');
    expect(text).toContain('-s 10.251.1.2/32 -j MARK --set-xmark 0x4000/0x4000');
    expect(text).toContain('-A POSTROUTING -m mark --mark 0x4000/0x4000 -j MASQUERADE');
    expect(text.match(/^COMMIT$/gm)).toHaveLength(2);
    expect(text).toContain('COMMIT\n*filter\n');
  });

  it('renders the same text whatever the order of the rules', () => {
    expect(renderNodeRules('node-a', [shadow, ordinary])).toBe(renderNodeRules('node-a', [ordinary, shadow]));
  });
});

describe('chainName', () => {
  it('fits the iptables limit and differs per key', () => {
    const name = chainName('SEP', '10.96.0.20:8080/tcp->10.251.1.2:5000');
    expect(name.length).toBeLessThanOrEqual(28);
    expect(name).not.toBe(chainName('SEP', '10.96.0.20:8080/tcp->10.251.2.2:5000'));
  });
});

describe('checkServiceRule', () => {
  it('accepts a good rule and names every bad field', () => {
    expect(checkServiceRule(shadow)).toEqual([]);
    const bad = {
      clusterIP: '10.96.0.300',
      port: 0,
      protocol: 'sctp',
      endpoints: [{ ip: 'x', port: 70000, node: 'a' }],
    };
    expect(checkServiceRule(bad as unknown as ServiceRule)).toEqual([
      '10.96.0.300:0/sctp: clusterIP must be an IPv4 address, got "10.96.0.300"',
      '10.96.0.300:0/sctp: port must be an integer from 1 to 65535, got 0',
      '10.96.0.300:0/sctp: protocol must be "tcp" or "udp", got "sctp"',
      '10.96.0.300:0/sctp: endpoints[0].ip must be an IPv4 address, got "x"',
      '10.96.0.300:0/sctp: endpoints[0].port must be an integer from 1 to 65535, got 70000',
    ]);
  });
});
