/**
 * The NetworkPolicy the leader keeps beside each Service in `strict` mTLS mode (docs/mtls.md, "Closing the
 * side door"): in the Service's namespace, selecting the Service's pods, admitting ingress only from the
 * node-proxy pods of the mesh namespace, so a pod that dials a strict Service's pod directly is refused
 * wherever the CNI enforces NetworkPolicy. Policies are additive: a user's own policy can admit more (an
 * ingress controller). Pure.
 */
import {
  LABEL_COMPONENT,
  LABEL_MANAGED_BY,
  LABEL_MANAGED_BY_VALUE,
  LABEL_PART_OF,
  LABEL_PART_OF_VALUE,
  NODE_PROXY_COMPONENT,
  type ShadowOf,
} from '@nodemesh/smi-types';

/** On each managed NetworkPolicy: the name of the Service (in the policy's own namespace) it closes. */
export const LABEL_STRICT_FOR = 'nodemesh.io/mtls-strict-for';

/** The label every Namespace carries (Kubernetes 1.21+): how a policy names the mesh namespace. */
export const LABEL_NAMESPACE_NAME = 'kubernetes.io/metadata.name';

/** The label selector of the policies the dns-controller manages (its informer and `cleanup` use it). */
export function strictPolicySelector(): string {
  return `${LABEL_MANAGED_BY}=${LABEL_MANAGED_BY_VALUE},${LABEL_STRICT_FOR}`;
}

/** `nodemesh-strict-<service>`: at most 79 characters, within the 253 a NetworkPolicy name may have. */
export function strictPolicyName(service: string): string {
  return `nodemesh-strict-${service}`;
}

export function networkPolicyPath(namespace?: string, name?: string): string {
  const base =
    namespace === undefined
      ? '/apis/networking.k8s.io/v1'
      : `/apis/networking.k8s.io/v1/namespaces/${encodeURIComponent(namespace)}`;
  return name === undefined
    ? `${base}/networkpolicies`
    : `${base}/networkpolicies/${encodeURIComponent(name)}`;
}

export interface StrictPolicySpec {
  readonly podSelector: { readonly matchLabels: Readonly<Record<string, string>> };
  readonly policyTypes: readonly ['Ingress'];
  readonly ingress: readonly {
    readonly from: readonly {
      readonly namespaceSelector: { readonly matchLabels: Readonly<Record<string, string>> };
      readonly podSelector: { readonly matchLabels: Readonly<Record<string, string>> };
    }[];
  }[];
}

export interface StrictPolicyManifest {
  readonly apiVersion: 'networking.k8s.io/v1';
  readonly kind: 'NetworkPolicy';
  readonly metadata: {
    readonly name: string;
    readonly namespace: string;
    readonly labels: Readonly<Record<string, string>>;
  };
  readonly spec: StrictPolicySpec;
}

export function strictPolicyLabels(of: ShadowOf): Record<string, string> {
  return {
    [LABEL_PART_OF]: LABEL_PART_OF_VALUE,
    [LABEL_MANAGED_BY]: LABEL_MANAGED_BY_VALUE,
    [LABEL_STRICT_FOR]: of.name,
  };
}

/**
 * The policy of one strict Service: its pods (the Service's selector, non-empty) admit ingress only from
 * pods labelled `app.kubernetes.io/component: node-proxy` in the mesh namespace (named by the label every
 * Namespace carries), on every port (the tunnel delivers to any port of a
 * pod). Nothing about egress.
 */
export function desiredStrictPolicy(
  of: ShadowOf,
  selector: Readonly<Record<string, string>>,
  meshNamespace: string,
): StrictPolicyManifest {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name: strictPolicyName(of.name), namespace: of.namespace, labels: strictPolicyLabels(of) },
    spec: {
      podSelector: { matchLabels: { ...selector } },
      policyTypes: ['Ingress'],
      ingress: [
        {
          from: [
            {
              namespaceSelector: { matchLabels: { [LABEL_NAMESPACE_NAME]: meshNamespace } },
              podSelector: { matchLabels: { [LABEL_COMPONENT]: NODE_PROXY_COMPONENT } },
            },
          ],
        },
      ],
    },
  };
}
