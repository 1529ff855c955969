import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../deploy/manifests.js';
import { admits } from '../deploy/network-policy-rules.js';
import {
  inCidr,
  type NetworkPolicy,
  type PolicyPod,
  parseNetworkPolicy,
  renderNodePolicyRules,
} from './network-policy-rules.js';

const NODE_IPS: Record<string, string> = {
  'node-a': '10.250.0.11',
  'node-b': '10.250.0.12',
  'node-c': '10.250.0.13',
};

const pod = (
  namespace: string,
  name: string,
  node: string,
  ip: string,
  labels: Record<string, string>,
  hostNetwork = false,
): PolicyPod => ({ namespace, name, node, ip, labels, hostNetwork });

const PROXY = { 'app.kubernetes.io/component': 'node-proxy' };
const PODS: PolicyPod[] = [
  pod('shop', 'web', 'node-c', '10.251.3.2', { app: 'web' }),
  pod('shop', 'other', 'node-c', '10.251.3.3', { app: 'other' }),
  pod('shop', 'client-a', 'node-a', '10.251.1.2', { app: 'client' }),
  pod('shop', 'client-c', 'node-c', '10.251.3.4', { app: 'client' }),
  // Labelled as a node-proxy, but in the wrong namespace: the namespaceSelector must keep it out.
  pod('shop', 'impostor', 'node-a', '10.251.1.3', PROXY),
  ...Object.entries(NODE_IPS).map(([node, ip]) =>
    pod('nodemesh', `node-proxy-${node}`, node, ip, PROXY, true),
  ),
];

/** The policy the dns-controller writes for a strict Service: only node-proxy pods may call its pods. */
const STRICT_OBJECT = {
  apiVersion: 'networking.k8s.io/v1',
  kind: 'NetworkPolicy',
  metadata: { namespace: 'shop', name: 'web-mtls-strict' },
  spec: {
    podSelector: { matchLabels: { app: 'web' } },
    policyTypes: ['Ingress'],
    ingress: [
      {
        from: [
          {
            namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'nodemesh' } },
            podSelector: { matchLabels: PROXY },
          },
        ],
      },
    ],
  },
};

function parsed(object: unknown): NetworkPolicy {
  const result = parseNetworkPolicy(object);
  expect(result.problems).toEqual([]);
  if (result.policy === undefined) throw new Error('no policy');
  return result.policy;
}

interface Packet {
  readonly src: string;
  readonly dst: string;
  readonly protocol: 'tcp' | 'udp';
  readonly port: number;
  /** Made by the node itself (OUTPUT) rather than routed through it (FORWARD). */
  readonly local: boolean;
}

/** A small interpreter of the rendered mangle table, for the rules' own vocabulary only. */
function verdict(rules: string, packet: Packet): 'ACCEPT' | 'DROP' {
  const chains = new Map<string, string[][]>();
  for (const line of rules.split('\n')) {
    if (!line.startsWith('-A ')) continue;
    const words = line.split(' ');
    const chain = words[1] ?? '';
    chains.set(chain, [...(chains.get(chain) ?? []), words.slice(2)]);
  }
  const matches = (words: string[]): boolean => {
    for (let i = 0; i < words.length; i += 1) {
      const value = words[i + 1] ?? '';
      switch (words[i]) {
        case '-s':
          if (!inCidr(packet.src, value)) return false;
          break;
        case '-d':
          if (!inCidr(packet.dst, value)) return false;
          break;
        case '-p':
          if (value !== packet.protocol) return false;
          break;
        case '--dport': {
          const [low = 0, high = low] = value.split(':').map(Number);
          if (packet.port < low || packet.port > high) return false;
          break;
        }
      }
    }
    return true;
  };
  const run = (chain: string): 'ACCEPT' | 'DROP' | undefined => {
    for (const words of chains.get(chain) ?? []) {
      if (!matches(words)) continue;
      const target = words[words.indexOf('-j') + 1] ?? '';
      if (target === 'ACCEPT' || target === 'DROP') return target;
      const result = run(target);
      if (result !== undefined) return result;
    }
    return undefined;
  };
  return run(packet.local ? 'OUTPUT' : 'FORWARD') ?? 'ACCEPT';
}

/** Whether a connection from pod `from` to pod `to` on a port passes the destination node's rules. */
function passes(policies: NetworkPolicy[], from: PolicyPod, to: PolicyPod, port = 8080): boolean {
  const rules = renderNodePolicyRules(to.node, { policies, pods: PODS });
  const local = from.hostNetwork && from.node === to.node;
  return verdict(rules, { src: from.ip, dst: to.ip, protocol: 'tcp', port, local }) === 'ACCEPT';
}

const byName = (name: string): PolicyPod => {
  const found = PODS.find((p) => p.name === name);
  if (found === undefined) throw new Error(name);
  return found;
};

describe('the NetworkPolicy rules of a node', () => {
  it('are an empty skeleton without policies: every connection passes', () => {
    const rules = renderNodePolicyRules('node-c', { policies: [], pods: PODS });
    expect(rules).toBe(
      [
        '*mangle',
        ':PREROUTING ACCEPT [0:0]',
        ':INPUT ACCEPT [0:0]',
        ':FORWARD ACCEPT [0:0]',
        ':OUTPUT ACCEPT [0:0]',
        ':POSTROUTING ACCEPT [0:0]',
        ':NMT-NETPOL-FORWARD - [0:0]',
        ':NMT-NETPOL-LOCAL - [0:0]',
        '-A FORWARD -m conntrack --ctstate NEW -j NMT-NETPOL-FORWARD',
        '-A OUTPUT -m conntrack --ctstate NEW -j NMT-NETPOL-LOCAL',
        'COMMIT',
        '',
      ].join('\n'),
    );
    expect(passes([], byName('client-a'), byName('web'))).toBe(true);
  });

  it('let only node-proxies reach a strict pod: from other nodes by address, from its own node locally', () => {
    const strict = [parsed(STRICT_OBJECT)];
    const web = byName('web');
    expect(passes(strict, byName('client-a'), web)).toBe(false);
    expect(passes(strict, byName('client-c'), web)).toBe(false);
    expect(passes(strict, byName('impostor'), web)).toBe(false);
    expect(passes(strict, byName('node-proxy-node-a'), web)).toBe(true);
    expect(passes(strict, byName('node-proxy-node-b'), web)).toBe(true);
    expect(passes(strict, byName('node-proxy-node-c'), web)).toBe(true);
    // A pod the policy does not select is not isolated.
    expect(passes(strict, byName('client-a'), byName('other'))).toBe(true);
    const rules = renderNodePolicyRules('node-c', { policies: strict, pods: PODS });
    expect(rules).toContain('-s 10.250.0.11/32 -j ACCEPT');
    expect(rules).not.toContain('10.251.1.3');
    expect(rules.match(/ -j DROP$/gm)).toHaveLength(2);
    // Nodes that host no selected pod get no rule for it.
    expect(renderNodePolicyRules('node-a', { policies: strict, pods: PODS })).not.toContain('10.251.3.2');
  });

  it('agree with the documented semantics (deploy/network-policy-rules.ts) over pods, ports and policies', () => {
    const objects = [
      STRICT_OBJECT,
      {
        ...STRICT_OBJECT,
        metadata: { namespace: 'shop', name: 'clients-on-8080' },
        spec: {
          podSelector: { matchExpressions: [{ key: 'app', operator: 'In', values: ['web', 'other'] }] },
          ingress: [{ from: [{ podSelector: { matchLabels: { app: 'client' } } }], ports: [{ port: 8080 }] }],
        },
      },
      {
        ...STRICT_OBJECT,
        metadata: { namespace: 'shop', name: 'range' },
        spec: {
          podSelector: { matchLabels: { app: 'other' } },
          ingress: [{ ports: [{ protocol: 'TCP', port: 9000, endPort: 9010 }] }],
        },
      },
      {
        ...STRICT_OBJECT,
        metadata: { namespace: 'shop', name: 'egress-only' },
        spec: { podSelector: {}, policyTypes: ['Egress'] },
      },
    ];
    const sets = [
      [],
      [objects[0]],
      [objects[1]],
      [objects[0], objects[1]],
      [objects[2]],
      [objects[3]],
      objects,
    ];
    for (const set of sets) {
      const policies = set.map(parsed);
      for (const to of PODS.filter((p) => !p.hostNetwork)) {
        for (const from of PODS) {
          for (const port of [8080, 9005, 9011]) {
            const peer = {
              kind: 'pod' as const,
              namespace: from.namespace,
              labels: from.labels,
            };
            const expected = admits(set as KubeObject[], to, peer, port, 'TCP');
            const what = `${set.map((o) => o?.metadata.name).join('+')}: ${from.name} -> ${to.name}:${port}`;
            expect(passes(policies, from, to, port), what).toBe(expected);
          }
        }
      }
    }
  });

  it('judge only new connections, so replies and admitted connections flow', () => {
    const rules = renderNodePolicyRules('node-c', { policies: [parsed(STRICT_OBJECT)], pods: PODS });
    expect(rules).toMatch(/^-A FORWARD -m conntrack --ctstate NEW -j NMT-NETPOL-FORWARD$/m);
    expect(rules).toMatch(/^-A OUTPUT -m conntrack --ctstate NEW -j NMT-NETPOL-LOCAL$/m);
  });

  it('close, never open, on what they cannot express, and say so', () => {
    const result = parseNetworkPolicy({
      metadata: { namespace: 'shop', name: 'odd' },
      spec: {
        podSelector: { matchLabels: { app: 'web' } },
        ingress: [
          {
            from: [
              { ipBlock: { cidr: '10.0.0.0/8', except: ['10.251.1.0/24'] } },
              { podSelector: { matchExpressions: [{ key: 'app', operator: 'Near' }] } },
            ],
            ports: [{ port: 'http' }, { protocol: 'SCTP', port: 80 }, { port: 90, endPort: 80 }],
          },
        ],
      },
    });
    expect(result.problems).toHaveLength(5);
    const policy = result.policy;
    if (policy === undefined) throw new Error('no policy');
    for (const from of PODS) expect(passes([policy], from, byName('web'))).toBe(false);
    expect(parseNetworkPolicy({ metadata: {} }).policy).toBeUndefined();
  });

  it('name no address or port that did not validate (hostile pods and policies cannot inject arguments)', () => {
    const hostile = [
      ...PODS,
      pod('shop', 'evil', 'node-c', '10.251.3.9 -j ACCEPT', { app: 'client' }),
      pod('nodemesh', 'evil-proxy', 'node-a', '1.2.3.4/0', PROXY, true),
    ];
    const policy = parseNetworkPolicy({
      metadata: { namespace: 'shop', name: 'ip' },
      spec: {
        podSelector: { matchLabels: { app: 'web' } },
        ingress: [
          { from: [{ ipBlock: { cidr: '0.0.0.0/0 -j ACCEPT' } }], ports: [{ port: '80 -j ACCEPT' }] },
        ],
      },
    });
    expect(policy.problems).toHaveLength(2);
    const rules = renderNodePolicyRules('node-c', {
      policies: [parsed(STRICT_OBJECT), ...(policy.policy ? [policy.policy] : [])],
      pods: hostile,
    });
    expect(rules).not.toMatch(/ACCEPT -j|\/0|1\.2\.3\.4/);
    for (const line of rules.split('\n').filter((l) => l.startsWith('-A'))) {
      expect(line).toMatch(/^-A [\w-]+( (-[-\w]+|[\w./:-]+))* -j (ACCEPT|DROP|NMT-[\w-]+)$/);
    }
  });
});
