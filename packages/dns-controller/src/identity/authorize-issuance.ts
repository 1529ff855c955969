/**
 * Who may have which certificate (ztunnel's rule): only a node-proxy pod, known by its pod-bound token as the
 * API server reviewed it, and only for ServiceAccounts that have a pod on that node-proxy's node. Pure: the
 * review and the node's pods in, the caller or a refusal with a reason out.
 */
import {
  type CertificateRequest,
  IDENTITY_TOKEN_AUDIENCE,
  type IssuanceError,
  serviceAccountUsername,
  TOKEN_EXTRA_NODE_NAME,
  TOKEN_EXTRA_POD_NAME,
  TOKEN_EXTRA_POD_UID,
} from '@nodemesh/smi-types';

/** What a TokenReview said, as read from its status. */
export interface ReviewedToken {
  readonly authenticated: boolean;
  readonly error?: string;
  readonly username?: string;
  readonly audiences: readonly string[];
  readonly extra: Readonly<Record<string, readonly string[]>>;
}

/** The node-proxy pod a token belongs to. */
export interface NodeProxyCaller {
  readonly podName: string;
  readonly podUid: string;
  readonly nodeName: string;
}

/** One pod of the caller's node, as far as issuance cares. */
export interface NodePod {
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
  readonly serviceAccount: string;
  /** False once Succeeded or Failed: its ServiceAccount no longer counts. */
  readonly active: boolean;
}

export interface IssuancePolicy {
  readonly meshNamespace: string;
  readonly nodeProxyServiceAccount: string;
}

const single = (extra: Readonly<Record<string, readonly string[]>>, key: string): string | undefined => {
  const values = extra[key];
  return values?.length === 1 && values[0] !== '' ? values[0] : undefined;
};

/** Step one: is this a node-proxy's token, bound to a pod on a node? */
export function callerOfReview(
  review: ReviewedToken,
  policy: IssuancePolicy,
): NodeProxyCaller | IssuanceError {
  if (!review.authenticated) {
    return {
      code: 'Unauthenticated',
      message: `the token was not accepted: ${review.error ?? 'no reason given'}`,
    };
  }
  if (!review.audiences.includes(IDENTITY_TOKEN_AUDIENCE)) {
    return {
      code: 'Unauthenticated',
      message: `the token is not for the audience ${IDENTITY_TOKEN_AUDIENCE}`,
    };
  }
  const expected = serviceAccountUsername(policy.meshNamespace, policy.nodeProxyServiceAccount);
  if (review.username !== expected) {
    return {
      code: 'NotANodeProxy',
      message: `only ${expected} may ask for certificates, the token is of ${review.username ?? 'nobody'}`,
    };
  }
  const podName = single(review.extra, TOKEN_EXTRA_POD_NAME);
  const podUid = single(review.extra, TOKEN_EXTRA_POD_UID);
  const nodeName = single(review.extra, TOKEN_EXTRA_NODE_NAME);
  if (podName === undefined || podUid === undefined || nodeName === undefined) {
    return {
      code: 'NotANodeProxy',
      message:
        'the token is not bound to a pod on a node (use a projected ServiceAccount token; Kubernetes 1.30+)',
    };
  }
  return { podName, podUid, nodeName };
}

/** Step two: is the caller's pod still on that node, and does the ServiceAccount asked for run there? */
export function authorizeServiceAccount(
  caller: NodeProxyCaller,
  nodePods: readonly NodePod[],
  request: Pick<CertificateRequest, 'namespace' | 'serviceAccount'>,
  policy: IssuancePolicy,
): IssuanceError | undefined {
  const self = nodePods.find((p) => p.namespace === policy.meshNamespace && p.name === caller.podName);
  if (self === undefined || self.uid !== caller.podUid || !self.active) {
    return {
      code: 'NodeProxyPodNotFound',
      message: `the node-proxy pod ${policy.meshNamespace}/${caller.podName} (uid ${caller.podUid}) is not running on node ${caller.nodeName}`,
    };
  }
  if (self.serviceAccount !== policy.nodeProxyServiceAccount) {
    return {
      code: 'NotANodeProxy',
      message: `pod ${policy.meshNamespace}/${caller.podName} does not run as a node-proxy`,
    };
  }
  const onNode = nodePods.some(
    (p) => p.active && p.namespace === request.namespace && p.serviceAccount === request.serviceAccount,
  );
  if (!onNode) {
    return {
      code: 'ServiceAccountNotOnNode',
      message: `ServiceAccount ${request.namespace}/${request.serviceAccount} has no pod on node ${caller.nodeName}`,
    };
  }
  return undefined;
}

const FINISHED: readonly unknown[] = ['Succeeded', 'Failed'];

/** A Pod object as a NodePod; undefined when it lacks what any Pod has. Never throws. */
export function readNodePod(obj: unknown): NodePod | undefined {
  if (typeof obj !== 'object' || obj === null) return undefined;
  const { metadata, spec, status } = obj as Record<string, unknown>;
  if (typeof metadata !== 'object' || metadata === null) return undefined;
  const { namespace, name, uid } = metadata as Record<string, unknown>;
  if (typeof namespace !== 'string' || typeof name !== 'string' || typeof uid !== 'string') return undefined;
  const podSpec = typeof spec === 'object' && spec !== null ? (spec as Record<string, unknown>) : {};
  const named = [podSpec.serviceAccountName, podSpec.serviceAccount].find(
    (v) => typeof v === 'string' && v !== '',
  );
  const phase =
    typeof status === 'object' && status !== null ? (status as Record<string, unknown>).phase : undefined;
  return {
    namespace,
    name,
    uid,
    serviceAccount: typeof named === 'string' ? named : 'default',
    active: !FINISHED.includes(phase),
  };
}

/** Reads a TokenReview answer's status. Never throws. */
export function readTokenReview(obj: unknown): ReviewedToken {
  const status =
    typeof obj === 'object' && obj !== null ? (obj as Record<string, unknown>).status : undefined;
  if (typeof status !== 'object' || status === null)
    return { authenticated: false, error: 'no status', audiences: [], extra: {} };
  const s = status as Record<string, unknown>;
  const user = typeof s.user === 'object' && s.user !== null ? (s.user as Record<string, unknown>) : {};
  const extra: Record<string, string[]> = {};
  if (typeof user.extra === 'object' && user.extra !== null) {
    for (const [key, values] of Object.entries(user.extra as Record<string, unknown>)) {
      if (Array.isArray(values)) extra[key] = values.filter((v): v is string => typeof v === 'string');
    }
  }
  return {
    authenticated: s.authenticated === true,
    ...(typeof s.error === 'string' ? { error: s.error } : {}),
    ...(typeof user.username === 'string' ? { username: user.username } : {}),
    audiences: Array.isArray(s.audiences)
      ? s.audiences.filter((a): a is string => typeof a === 'string')
      : [],
    extra,
  };
}
