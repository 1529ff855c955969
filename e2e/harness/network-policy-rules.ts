/**
 * The CNI's part for NetworkPolicy, as pure functions: from networking.k8s.io/v1 NetworkPolicies and the
 * pods of the cluster to the iptables-restore text of one node's `mangle` table. The harness plays the CNI
 * the way kube-proxy-rules.ts plays kube-proxy.
 *
 * Where it filters, on the node that hosts the destination pod:
 * - FORWARD: connections routed to one of the node's pods (from its other pods, or from another node: pods
 *   there, and host-network pods, whose address is their node's). Matched on the source address.
 * - OUTPUT: connections of the node itself, i.e. of its host-network pods (the node-proxy). Their source
 *   address is whichever the kernel picks, so they are admitted when a rule admits a host-network pod of
 *   this node.
 * Only the first packet of a connection is judged (`--ctstate NEW`); replies and the rest of an admitted
 * connection pass. A refused connection is dropped, as Calico and Cilium do by default (the caller times
 * out). The table is `mangle`, not `filter`: kube-proxy's part rewrites the whole nat and filter tables on
 * every sync, and two writers of one table would undo each other.
 *
 * Semantics (the Kubernetes documentation's): a pod no Ingress policy selects admits everything; a selected
 * pod admits only what some rule of some selecting policy admits. Supported: podSelector, policyTypes,
 * ingress `from` (podSelector, namespaceSelector, both, ipBlock without `except`) and `ports` (TCP/UDP,
 * numeric port, endPort). Anything else is reported and matches nothing (closed, never open).
 */
import { createHash } from 'node:crypto';

/** A pod as the CNI sees it. A host-network pod has its node's address. */
export interface PolicyPod {
  readonly namespace: string;
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly ip: string;
  readonly node: string;
  readonly hostNetwork: boolean;
}

export interface LabelRequirement {
  readonly key: string;
  readonly operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';
  readonly values: readonly string[];
}

export interface LabelSelector {
  readonly matchLabels: Readonly<Record<string, string>>;
  readonly matchExpressions: readonly LabelRequirement[];
}

/** One `from` entry. `unsupported` peers match nothing. */
export type PolicyPeer =
  | {
      readonly kind: 'pods';
      readonly podSelector?: LabelSelector;
      readonly namespaceSelector?: LabelSelector;
    }
  | { readonly kind: 'ipBlock'; readonly cidr: string }
  | { readonly kind: 'unsupported' };

/** One `ports` entry; no `port` means every port of the protocol. `unsupported` ports match nothing. */
export type PolicyPort =
  | { readonly protocol: 'tcp' | 'udp'; readonly port?: number; readonly endPort?: number }
  | { readonly protocol: 'unsupported' };

export interface IngressRule {
  /** Empty: every source. */
  readonly from: readonly PolicyPeer[];
  /** Empty: every port. */
  readonly ports: readonly PolicyPort[];
}

export interface NetworkPolicy {
  readonly namespace: string;
  readonly name: string;
  readonly podSelector: LabelSelector;
  /** Whether it isolates the pods it selects for ingress (policyTypes holds Ingress, or is absent). */
  readonly ingressIsolation: boolean;
  readonly ingress: readonly IngressRule[];
}

export interface ParsedPolicy {
  /** Undefined when the object is not a usable NetworkPolicy at all (no name, no spec). */
  readonly policy: NetworkPolicy | undefined;
  /** What was wrong or unsupported, for a report; the policy (if any) still applies, closed. */
  readonly problems: readonly string[];
}

/** The label Kubernetes puts on every Namespace. */
export const NAMESPACE_NAME_LABEL = 'kubernetes.io/metadata.name';

const IPV4 = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/;

type Json = Readonly<Record<string, unknown>>;
const isRecord = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const records = (value: unknown): Json[] => (Array.isArray(value) ? value.filter(isRecord) : []);
const text = (value: unknown): string => (typeof value === 'string' ? value : '');
const isPort = (value: unknown): value is number =>
  typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= 65_535;

export const isIPv4 = (value: string): boolean => IPV4.test(value);

function stringMap(value: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!isRecord(value)) return out;
  for (const [key, v] of Object.entries(value)) if (typeof v === 'string') out[key] = v;
  return out;
}

function parseSelector(value: unknown, at: string, problems: string[]): LabelSelector {
  const s = isRecord(value) ? value : {};
  const matchExpressions: LabelRequirement[] = [];
  for (const e of records(s.matchExpressions)) {
    const operator = text(e.operator);
    const values = Array.isArray(e.values) ? e.values.filter((v) => typeof v === 'string') : [];
    if (operator === 'In' || operator === 'NotIn' || operator === 'Exists' || operator === 'DoesNotExist') {
      matchExpressions.push({ key: text(e.key), operator, values });
    } else {
      problems.push(`${at}: operator ${JSON.stringify(e.operator)} is not a selector operator`);
      // Matches nothing: a key no label can have under an Exists.
      matchExpressions.push({ key: '', operator: 'Exists', values: [] });
    }
  }
  return { matchLabels: stringMap(s.matchLabels), matchExpressions };
}

function parsePeer(entry: Json, at: string, problems: string[]): PolicyPeer {
  if (entry.ipBlock !== undefined) {
    const block = isRecord(entry.ipBlock) ? entry.ipBlock : {};
    const cidr = text(block.cidr);
    const [base = '', bits = ''] = cidr.split('/');
    const except = Array.isArray(block.except) ? block.except : [];
    if (!isIPv4(base) || !/^\d{1,2}$/.test(bits) || Number(bits) > 32) {
      problems.push(`${at}.ipBlock: cidr ${JSON.stringify(block.cidr)} is not an IPv4 CIDR`);
      return { kind: 'unsupported' };
    }
    if (except.length > 0) {
      problems.push(`${at}.ipBlock: except is not supported by the harness`);
      return { kind: 'unsupported' };
    }
    return { kind: 'ipBlock', cidr: `${base}/${bits}` };
  }
  if (entry.podSelector === undefined && entry.namespaceSelector === undefined) {
    problems.push(`${at}: a peer needs podSelector, namespaceSelector or ipBlock`);
    return { kind: 'unsupported' };
  }
  return {
    kind: 'pods',
    ...(entry.podSelector === undefined
      ? {}
      : { podSelector: parseSelector(entry.podSelector, `${at}.podSelector`, problems) }),
    ...(entry.namespaceSelector === undefined
      ? {}
      : { namespaceSelector: parseSelector(entry.namespaceSelector, `${at}.namespaceSelector`, problems) }),
  };
}

function parsePort(entry: Json, at: string, problems: string[]): PolicyPort {
  const protocol = entry.protocol === undefined ? 'TCP' : text(entry.protocol);
  if (protocol !== 'TCP' && protocol !== 'UDP') {
    problems.push(`${at}: protocol ${JSON.stringify(entry.protocol)} is not supported by the harness`);
    return { protocol: 'unsupported' };
  }
  const proto = protocol === 'TCP' ? 'tcp' : 'udp';
  if (entry.port === undefined) return { protocol: proto };
  if (!isPort(entry.port)) {
    problems.push(
      `${at}: port ${JSON.stringify(entry.port)} is not a port number (named ports are not supported)`,
    );
    return { protocol: 'unsupported' };
  }
  if (entry.endPort === undefined) return { protocol: proto, port: entry.port };
  if (!isPort(entry.endPort) || entry.endPort < entry.port) {
    problems.push(`${at}: endPort ${JSON.stringify(entry.endPort)} is not a port at or above ${entry.port}`);
    return { protocol: 'unsupported' };
  }
  return { protocol: proto, port: entry.port, endPort: entry.endPort };
}

/** A NetworkPolicy as the API server lists it, checked; never throws. */
export function parseNetworkPolicy(object: unknown): ParsedPolicy {
  const problems: string[] = [];
  const obj = isRecord(object) ? object : {};
  const metadata = isRecord(obj.metadata) ? obj.metadata : {};
  const name = text(metadata.name);
  const namespace = text(metadata.namespace) || 'default';
  if (name === '' || !isRecord(obj.spec)) {
    return { policy: undefined, problems: ['a NetworkPolicy needs metadata.name and a spec'] };
  }
  const spec = obj.spec;
  const at = `${namespace}/${name}`;
  const types = Array.isArray(spec.policyTypes) ? spec.policyTypes.map(text) : ['Ingress'];
  const ingress = records(spec.ingress).map((rule, i) => ({
    from: records(rule.from).map((peer, j) => parsePeer(peer, `${at}: ingress[${i}].from[${j}]`, problems)),
    ports: records(rule.ports).map((port, j) =>
      parsePort(port, `${at}: ingress[${i}].ports[${j}]`, problems),
    ),
  }));
  return {
    policy: {
      namespace,
      name,
      podSelector: parseSelector(spec.podSelector, `${at}: podSelector`, problems),
      ingressIsolation: types.includes('Ingress'),
      ingress,
    },
    problems,
  };
}

/** Whether a label selector selects these labels (`{}` selects everything). */
export function selects(selector: LabelSelector, labels: Readonly<Record<string, string>>): boolean {
  for (const [key, value] of Object.entries(selector.matchLabels)) {
    if (labels[key] !== value) return false;
  }
  return selector.matchExpressions.every((e) => {
    const value = Object.hasOwn(labels, e.key) ? labels[e.key] : undefined;
    switch (e.operator) {
      case 'In':
        return value !== undefined && e.values.includes(value);
      case 'NotIn':
        return value === undefined || !e.values.includes(value);
      case 'Exists':
        return value !== undefined;
      case 'DoesNotExist':
        return value === undefined;
    }
    return false;
  });
}

/** The policies that isolate a pod for ingress. */
export function selectingPolicies(policies: readonly NetworkPolicy[], pod: PolicyPod): NetworkPolicy[] {
  return policies.filter(
    (p) => p.ingressIsolation && p.namespace === pod.namespace && selects(p.podSelector, pod.labels),
  );
}

/** Whether a `from` entry of a policy in `policyNamespace` matches a pod. */
export function peerMatchesPod(
  peer: PolicyPeer,
  pod: PolicyPod,
  policyNamespace: string,
  namespaceLabels: ReadonlyMap<string, Readonly<Record<string, string>>>,
): boolean {
  if (peer.kind === 'ipBlock') return inCidr(pod.ip, peer.cidr);
  if (peer.kind !== 'pods') return false;
  const labels = { ...namespaceLabels.get(pod.namespace), [NAMESPACE_NAME_LABEL]: pod.namespace };
  const namespaceOk =
    peer.namespaceSelector === undefined
      ? pod.namespace === policyNamespace
      : selects(peer.namespaceSelector, labels);
  return namespaceOk && (peer.podSelector === undefined || selects(peer.podSelector, pod.labels));
}

export function inCidr(ip: string, cidr: string): boolean {
  const [base = '', bits = '32'] = cidr.split('/');
  if (!isIPv4(ip) || !isIPv4(base)) return false;
  const toNumber = (address: string) => address.split('.').reduce((n, part) => n * 256 + Number(part), 0);
  const size = 2 ** (32 - Number(bits));
  const start = Math.floor(toNumber(base) / size) * size;
  const n = toNumber(ip);
  return n >= start && n < start + size;
}

/** A chain name from a hash of the key: iptables allows at most 28 characters. */
function chainName(kind: 'NPF' | 'NPL', key: string): string {
  return `NMT-${kind}-${createHash('sha256').update(key).digest('hex').slice(0, 16).toUpperCase()}`;
}

/** The `-p … --dport …` parts of a rule's ports ('' for every port); unsupported ports give none. */
function portMatches(ports: readonly PolicyPort[]): string[] {
  if (ports.length === 0) return [''];
  const out: string[] = [];
  for (const port of ports) {
    if (port.protocol === 'unsupported') continue;
    if (port.port === undefined) out.push(` -p ${port.protocol}`);
    else {
      const range = port.endPort === undefined ? `${port.port}` : `${port.port}:${port.endPort}`;
      out.push(` -p ${port.protocol} -m ${port.protocol} --dport ${range}`);
    }
  }
  return out;
}

export interface NodePolicyInput {
  readonly policies: readonly NetworkPolicy[];
  readonly pods: readonly PolicyPod[];
  /** Namespace labels (NAMESPACE_NAME_LABEL is implied for every namespace). */
  readonly namespaceLabels?: ReadonlyMap<string, Readonly<Record<string, string>>>;
}

/**
 * The iptables-restore input for one node's whole `mangle` table: for each pod of the node (not host
 * network) that an Ingress policy selects, a chain for forwarded connections (sources by address) and one
 * for the node's own (admitted when a rule admits a host-network pod of this node), each ending in DROP.
 * Pods with a malformed address are left out (no rule can name them).
 */
export function renderNodePolicyRules(node: string, input: NodePolicyInput): string {
  const namespaceLabels = input.namespaceLabels ?? new Map();
  const pods = input.pods.filter((p) => isIPv4(p.ip));
  const chains = [
    ':PREROUTING ACCEPT [0:0]',
    ':INPUT ACCEPT [0:0]',
    ':FORWARD ACCEPT [0:0]',
    ':OUTPUT ACCEPT [0:0]',
    ':POSTROUTING ACCEPT [0:0]',
    ':NMT-NETPOL-FORWARD - [0:0]',
    ':NMT-NETPOL-LOCAL - [0:0]',
  ];
  const lines = [
    '-A FORWARD -m conntrack --ctstate NEW -j NMT-NETPOL-FORWARD',
    '-A OUTPUT -m conntrack --ctstate NEW -j NMT-NETPOL-LOCAL',
  ];
  const targets = pods
    .filter((p) => p.node === node && !p.hostNetwork)
    .sort((a, b) => `${a.namespace}/${a.name}`.localeCompare(`${b.namespace}/${b.name}`));
  for (const target of targets) {
    const selecting = selectingPolicies(input.policies, target);
    if (selecting.length === 0) continue;
    const key = `${target.namespace}/${target.name}`;
    const forward = chainName('NPF', key);
    const local = chainName('NPL', key);
    chains.push(`:${forward} - [0:0]`, `:${local} - [0:0]`);
    lines.push(`-A NMT-NETPOL-FORWARD -d ${target.ip}/32 -j ${forward}`);
    lines.push(`-A NMT-NETPOL-LOCAL -d ${target.ip}/32 -j ${local}`);
    for (const policy of selecting) {
      for (const rule of policy.ingress) {
        const ports = portMatches(rule.ports);
        let sources: string[];
        let fromThisNode: boolean;
        if (rule.from.length === 0) {
          sources = [''];
          fromThisNode = true;
        } else {
          const cidrs = new Set<string>();
          fromThisNode = false;
          for (const peer of rule.from) {
            if (peer.kind === 'ipBlock') cidrs.add(peer.cidr);
            if (peer.kind !== 'pods') continue;
            for (const pod of pods) {
              if (!peerMatchesPod(peer, pod, policy.namespace, namespaceLabels)) continue;
              cidrs.add(`${pod.ip}/32`);
              if (pod.hostNetwork && pod.node === node) fromThisNode = true;
            }
          }
          sources = [...cidrs].sort().map((cidr) => ` -s ${cidr}`);
        }
        for (const source of sources) {
          for (const port of ports) lines.push(`-A ${forward}${source}${port} -j ACCEPT`);
        }
        if (fromThisNode) for (const port of ports) lines.push(`-A ${local}${port} -j ACCEPT`);
      }
    }
    lines.push(`-A ${forward} -j DROP`, `-A ${local} -j DROP`);
  }
  return ['*mangle', ...chains, ...lines, 'COMMIT', ''].join('\n');
}
