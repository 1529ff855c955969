/**
 * Local mode plays kube-proxy's part for shadow Services: every shadow ClusterIP:port (taken from 127.x, which
 * Linux routes to loopback) is forwarded to the first node's proxy listener on the targetPort, as
 * `internalTrafficPolicy: Local` would on a cluster for a caller on that node: every caller of local mode runs
 * there (the second node's proxy is reached through the tunnel). Pure: shadow Services in, forwarding rules
 * out.
 */
import { type FieldError, parseShadowService } from '@nodemesh/smi-types';

export interface ForwardingRule {
  readonly protocol: 'TCP' | 'UDP';
  /** Where callers connect: the shadow ClusterIP and the user Service's port. */
  readonly listenHost: string;
  readonly listenPort: number;
  /** The node-proxy listener kube-proxy would hand the connection to. */
  readonly targetHost: string;
  readonly targetPort: number;
}

export interface ForwardingPlan {
  readonly rules: readonly ForwardingRule[];
  /** Shadow Services that could not be read, by name, with what is wrong. */
  readonly problems: readonly { readonly shadow: string; readonly errors: readonly FieldError[] }[];
}

/** The rules for every readable shadow Service, sorted so equal inputs give equal plans. */
export function forwardingRules(shadows: readonly unknown[], nodeProxyHost: string): ForwardingPlan {
  const rules: ForwardingRule[] = [];
  const problems: { shadow: string; errors: readonly FieldError[] }[] = [];
  for (const object of shadows) {
    const parsed = parseShadowService(object);
    if (!parsed.ok) {
      problems.push({ shadow: nameOf(object), errors: parsed.errors });
      continue;
    }
    for (const clusterIP of parsed.value.clusterIPs) {
      if (!clusterIP.startsWith('127.')) continue; // local mode forwards loopback ClusterIPs only
      for (const port of parsed.value.ports) {
        rules.push({
          protocol: port.protocol,
          listenHost: clusterIP,
          listenPort: port.port,
          targetHost: nodeProxyHost,
          targetPort: port.targetPort,
        });
      }
    }
  }
  rules.sort((a, b) => ruleKey(a).localeCompare(ruleKey(b)));
  return { rules, problems };
}

/** Identifies a rule's listener: two rules with one key cannot both be served. */
export function ruleKey(rule: ForwardingRule): string {
  return `${rule.protocol} ${rule.listenHost}:${rule.listenPort}`;
}

function nameOf(object: unknown): string {
  if (typeof object === 'object' && object !== null && 'metadata' in object) {
    const metadata = object.metadata;
    if (typeof metadata === 'object' && metadata !== null && 'name' in metadata) {
      return String(metadata.name);
    }
  }
  return '(unnamed)';
}
