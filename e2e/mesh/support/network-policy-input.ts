/**
 * The CNI's reading of the API, as a pure function: NetworkPolicies, Pods and Namespaces (as the API server
 * lists them) to what the harness's NetworkPolicy rules need. A pod is known by its `status.podIP` and
 * `spec.nodeName` (a host-network pod has its node's address, as the kubelet reports it); pods that have
 * neither, or have finished, are left out. Anything malformed is skipped and named, never thrown on.
 */
import type { NetworkPolicy, NodePolicyInput, PolicyPod } from '../../harness/index.js';
import { parseNetworkPolicy } from '../../harness/index.js';

type Json = Readonly<Record<string, unknown>>;
const isRecord = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const text = (value: unknown): string => (typeof value === 'string' ? value : '');

function stringMap(value: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!isRecord(value)) return out;
  for (const [key, v] of Object.entries(value)) if (typeof v === 'string') out[key] = v;
  return out;
}

export interface PolicyInputFromApi extends NodePolicyInput {
  /** What was skipped or is enforced closed, for a failing test's report. */
  readonly problems: readonly string[];
}

export function policyInputFromApi(
  networkPolicies: readonly unknown[],
  pods: readonly unknown[],
  namespaces: readonly unknown[],
): PolicyInputFromApi {
  const problems: string[] = [];
  const policies: NetworkPolicy[] = [];
  for (const object of networkPolicies) {
    const parsed = parseNetworkPolicy(object);
    problems.push(...parsed.problems);
    if (parsed.policy !== undefined) policies.push(parsed.policy);
  }
  const known: PolicyPod[] = [];
  for (const object of pods) {
    if (!isRecord(object)) continue;
    const metadata = isRecord(object.metadata) ? object.metadata : {};
    const spec = isRecord(object.spec) ? object.spec : {};
    const status = isRecord(object.status) ? object.status : {};
    const phase = text(status.phase);
    const ip = text(status.podIP);
    const node = text(spec.nodeName);
    if (phase === 'Succeeded' || phase === 'Failed' || ip === '' || node === '') continue;
    known.push({
      namespace: text(metadata.namespace) || 'default',
      name: text(metadata.name),
      labels: stringMap(metadata.labels),
      ip,
      node,
      hostNetwork: spec.hostNetwork === true,
    });
  }
  const namespaceLabels = new Map<string, Record<string, string>>();
  for (const object of namespaces) {
    if (!isRecord(object)) continue;
    const metadata = isRecord(object.metadata) ? object.metadata : {};
    const name = text(metadata.name);
    if (name !== '') namespaceLabels.set(name, stringMap(metadata.labels));
  }
  return { policies, pods: known, namespaceLabels, problems };
}
