/**
 * kube-proxy's part, as pure functions: from the Services of the cluster to the iptables-restore text of one
 * node. The nat table is the harness's alone inside a node namespace, so each sync replaces it whole, in one
 * transaction, like kube-proxy's iptables mode.
 *
 * Layout (per node): PREROUTING (traffic from the node's pods) and OUTPUT (traffic of the node itself) jump
 * to NMT-SERVICES; one rule per Service port matches ClusterIP + protocol + port and jumps to NMT-SVC-<hash>,
 * which picks an endpoint with `statistic --mode random` and jumps to NMT-SEP-<hash>, which DNATs. A
 * connection from an endpoint to its own Service (hairpin) is marked and masqueraded, or the endpoint would
 * get a packet from itself.
 */
import { createHash } from 'node:crypto';

export type Protocol = 'tcp' | 'udp';

/** One ready endpoint of a Service port: a pod (or node-network process) address on some node. */
export interface Endpoint {
  readonly ip: string;
  readonly port: number;
  /** The node the endpoint runs on: what `internalTrafficPolicy: Local` filters on. */
  readonly node: string;
}

/** One port of a Service as kube-proxy sees it. */
export interface ServiceRule {
  readonly clusterIP: string;
  readonly port: number;
  readonly protocol: Protocol;
  readonly endpoints: readonly Endpoint[];
  /**
   * `Local` (the mesh's shadow Services): a node sends only to endpoints on itself, so a pod always reaches
   * its own node's proxy. `Cluster` (the default): any endpoint.
   */
  readonly internalTrafficPolicy?: 'Cluster' | 'Local';
}

/** The mark that asks POSTROUTING to masquerade (the value kube-proxy uses). */
export const MASQUERADE_MARK = '0x4000/0x4000';

const IPV4 = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/;

/** The key that identifies a Service port: two rules with the same key replace each other. */
export function serviceKey(rule: Pick<ServiceRule, 'clusterIP' | 'port' | 'protocol'>): string {
  return `${rule.clusterIP}:${rule.port}/${rule.protocol}`;
}

/** Messages for everything wrong with a rule (empty when it is fine); the shell refuses bad rules. */
export function checkServiceRule(rule: ServiceRule): string[] {
  const errors: string[] = [];
  const at = serviceKey(rule);
  if (!IPV4.test(rule.clusterIP))
    errors.push(`${at}: clusterIP must be an IPv4 address, got ${JSON.stringify(rule.clusterIP)}`);
  if (!isPort(rule.port)) errors.push(`${at}: port must be an integer from 1 to 65535, got ${rule.port}`);
  if (rule.protocol !== 'tcp' && rule.protocol !== 'udp') {
    errors.push(`${at}: protocol must be "tcp" or "udp", got ${JSON.stringify(rule.protocol)}`);
  }
  rule.endpoints.forEach((endpoint, i) => {
    if (!IPV4.test(endpoint.ip))
      errors.push(`${at}: endpoints[${i}].ip must be an IPv4 address, got ${JSON.stringify(endpoint.ip)}`);
    if (!isPort(endpoint.port))
      errors.push(`${at}: endpoints[${i}].port must be an integer from 1 to 65535, got ${endpoint.port}`);
  });
  return errors;
}

/** The endpoints a given node sends a Service's traffic to. */
export function endpointsForNode(rule: ServiceRule, node: string): readonly Endpoint[] {
  return rule.internalTrafficPolicy === 'Local'
    ? rule.endpoints.filter((e) => e.node === node)
    : rule.endpoints;
}

/**
 * The iptables-restore input for one node: the whole nat and filter tables. A Service port with no endpoint
 * for this node is rejected in the filter table (FORWARD for pods, OUTPUT for the node), as kube-proxy does,
 * so a client fails at once with "connection refused"; a ClusterIP no rule knows is dropped by the node.
 */
export function renderNodeRules(node: string, rules: readonly ServiceRule[]): string {
  const chains = [
    ':PREROUTING ACCEPT [0:0]',
    ':INPUT ACCEPT [0:0]',
    ':OUTPUT ACCEPT [0:0]',
    ':POSTROUTING ACCEPT [0:0]',
    ':NMT-SERVICES - [0:0]',
  ];
  const lines = [
    '-A PREROUTING -j NMT-SERVICES',
    '-A OUTPUT -j NMT-SERVICES',
    `-A POSTROUTING -m mark --mark ${MASQUERADE_MARK} -j MASQUERADE`,
  ];
  const rejects: string[] = [];
  const sorted = [...rules].sort((a, b) => serviceKey(a).localeCompare(serviceKey(b)));
  for (const rule of sorted) {
    const endpoints = endpointsForNode(rule, node);
    if (endpoints.length === 0) {
      rejects.push(
        `-A NMT-NO-ENDPOINTS -d ${rule.clusterIP}/32 -p ${rule.protocol} -m ${rule.protocol} --dport ${rule.port} -j REJECT --reject-with icmp-port-unreachable`,
      );
      continue;
    }
    const key = serviceKey(rule);
    const svcChain = chainName('SVC', key);
    chains.push(`:${svcChain} - [0:0]`);
    lines.push(
      `-A NMT-SERVICES -d ${rule.clusterIP}/32 -p ${rule.protocol} -m ${rule.protocol} --dport ${rule.port} -j ${svcChain}`,
    );
    endpoints.forEach((endpoint, i) => {
      const sepChain = chainName('SEP', `${key}->${endpoint.ip}:${endpoint.port}`);
      chains.push(`:${sepChain} - [0:0]`);
      const remaining = endpoints.length - i;
      const pick =
        remaining > 1 ? ` -m statistic --mode random --probability ${(1 / remaining).toFixed(10)}` : '';
      lines.push(`-A ${svcChain}${pick} -j ${sepChain}`);
      lines.push(`-A ${sepChain} -s ${endpoint.ip}/32 -j MARK --set-xmark ${MASQUERADE_MARK}`);
      lines.push(
        `-A ${sepChain} -p ${rule.protocol} -m ${rule.protocol} -j DNAT --to-destination ${endpoint.ip}:${endpoint.port}`,
      );
    });
  }
  const filter = [
    '*filter',
    ':INPUT ACCEPT [0:0]',
    ':FORWARD ACCEPT [0:0]',
    ':OUTPUT ACCEPT [0:0]',
    ':NMT-NO-ENDPOINTS - [0:0]',
    '-A FORWARD -j NMT-NO-ENDPOINTS',
    '-A OUTPUT -j NMT-NO-ENDPOINTS',
    ...rejects,
    'COMMIT',
  ];
  return ['*nat', ...chains, ...lines, 'COMMIT', ...filter, ''].join('\n');
}

/** A chain name from a hash of the key: iptables allows at most 28 characters. */
export function chainName(kind: 'SVC' | 'SEP', key: string): string {
  return `NMT-${kind}-${createHash('sha256').update(key).digest('hex').slice(0, 16).toUpperCase()}`;
}

function isPort(value: number): boolean {
  return Number.isInteger(value) && value >= 1 && value <= 65_535;
}
