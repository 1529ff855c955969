/**
 * The ingress semantics of networking.k8s.io/v1 NetworkPolicy, as the Kubernetes documentation defines them,
 * for the fields deploy/ uses: which policies select a pod, and whether one of their rules admits a peer on
 * a port. A pod no Ingress policy selects admits everything; a selected pod admits only what some rule of
 * some selecting policy admits (rules add up; order does not matter).
 */
import { isRecord, type KubeObject } from './manifests.js';

export interface PodView {
  readonly namespace: string;
  readonly labels: Readonly<Record<string, string>>;
}

/** Who connects: a pod (with its namespace's labels), or something outside the pod network (a node). */
export type Peer =
  | {
      readonly kind: 'pod';
      readonly namespace: string;
      readonly namespaceLabels?: Readonly<Record<string, string>>;
      readonly labels: Readonly<Record<string, string>>;
    }
  | { readonly kind: 'host'; readonly ip: string };

export type Protocol = 'TCP' | 'UDP' | 'SCTP';

type Json = Record<string, unknown>;
const record = (value: unknown): Json => (isRecord(value) ? value : {});
const list = (value: unknown): Json[] => (Array.isArray(value) ? value.filter(isRecord) : []);

/** A label selector: matchLabels and matchExpressions; `{}` selects everything. */
export function selects(selector: unknown, labels: Readonly<Record<string, string>>): boolean {
  const s = record(selector);
  for (const [key, value] of Object.entries(record(s.matchLabels))) if (labels[key] !== value) return false;
  for (const expression of list(s.matchExpressions)) {
    const key = String(expression.key);
    const values = Array.isArray(expression.values) ? expression.values.map(String) : [];
    const has = Object.hasOwn(labels, key);
    const value = labels[key];
    switch (expression.operator) {
      case 'In':
        if (!has || value === undefined || !values.includes(value)) return false;
        break;
      case 'NotIn':
        if (has && value !== undefined && values.includes(value)) return false;
        break;
      case 'Exists':
        if (!has) return false;
        break;
      case 'DoesNotExist':
        if (has) return false;
        break;
      default:
        return false;
    }
  }
  return true;
}

function ingressPolicies(policies: readonly KubeObject[], pod: PodView): Json[] {
  return policies
    .filter((p) => p.apiVersion === 'networking.k8s.io/v1' && p.kind === 'NetworkPolicy')
    .filter((p) => (p.metadata.namespace ?? 'default') === pod.namespace)
    .map((p) => record(p.spec))
    .filter((spec) => {
      const types = Array.isArray(spec.policyTypes) ? spec.policyTypes : ['Ingress'];
      return types.includes('Ingress') && selects(spec.podSelector, pod.labels);
    });
}

function ipInBlock(ip: string, block: Json): boolean {
  const toNumber = (address: string) => address.split('.').reduce((n, part) => n * 256 + Number(part), 0);
  const inCidr = (cidr: string) => {
    const [base = '', bits = '32'] = cidr.split('/');
    const size = 2 ** (32 - Number(bits));
    const start = Math.floor(toNumber(base) / size) * size;
    const n = toNumber(ip);
    return n >= start && n < start + size;
  };
  if (typeof block.cidr !== 'string' || !inCidr(block.cidr)) return false;
  const except = Array.isArray(block.except) ? block.except.map(String) : [];
  return !except.some(inCidr);
}

function peerMatches(entry: Json, peer: Peer, policyNamespace: string): boolean {
  if (entry.ipBlock !== undefined) return peer.kind === 'host' && ipInBlock(peer.ip, record(entry.ipBlock));
  if (peer.kind !== 'pod') return false;
  const namespaceLabels = { ...peer.namespaceLabels, 'kubernetes.io/metadata.name': peer.namespace };
  const namespaceOk =
    entry.namespaceSelector === undefined
      ? peer.namespace === policyNamespace
      : selects(entry.namespaceSelector, namespaceLabels);
  const podOk = entry.podSelector === undefined || selects(entry.podSelector, peer.labels);
  return namespaceOk && podOk;
}

function portMatches(entry: Json, port: number, protocol: Protocol): boolean {
  if ((entry.protocol ?? 'TCP') !== protocol) return false;
  if (entry.port === undefined) return true;
  if (typeof entry.port !== 'number') return false; // named ports: deploy/ uses numbers only
  const end = typeof entry.endPort === 'number' ? entry.endPort : entry.port;
  return port >= entry.port && port <= end;
}

/** Whether traffic from `peer` to `pod` on `port`/`protocol` is admitted by the policies. */
export function admits(
  policies: readonly KubeObject[],
  pod: PodView,
  peer: Peer,
  port: number,
  protocol: Protocol,
): boolean {
  const selecting = ingressPolicies(policies, pod);
  if (selecting.length === 0) return true;
  return selecting.some((spec) =>
    list(spec.ingress).some((rule) => {
      const from = list(rule.from);
      const ports = list(rule.ports);
      const fromOk = from.length === 0 || from.some((entry) => peerMatches(entry, peer, pod.namespace));
      const portOk = ports.length === 0 || ports.some((entry) => portMatches(entry, port, protocol));
      return fromOk && portOk;
    }),
  );
}
