import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  authorizeServiceAccount,
  callerOfReview,
  type NodePod,
  type ReviewedToken,
  readNodePod,
  readTokenReview,
} from './authorize-issuance.js';
import { planTrustBundle } from './trust-bundle.js';

const policy = { meshNamespace: 'nodemesh', nodeProxyServiceAccount: 'nodemesh-node-proxy' };
const review = (over: Partial<ReviewedToken> = {}): ReviewedToken => ({
  authenticated: true,
  username: 'system:serviceaccount:nodemesh:nodemesh-node-proxy',
  audiences: ['nodemesh-identity'],
  extra: {
    'authentication.kubernetes.io/pod-name': ['proxy-a'],
    'authentication.kubernetes.io/pod-uid': ['uid-a'],
    'authentication.kubernetes.io/node-name': ['node-a'],
  },
  ...over,
});
const pod = (
  namespace: string,
  name: string,
  serviceAccount: string,
  over: Partial<NodePod> = {},
): NodePod => ({
  namespace,
  name,
  uid: `uid-${name}`,
  serviceAccount,
  active: true,
  ...over,
});
const caller = { podName: 'proxy-a', podUid: 'uid-a', nodeName: 'node-a' };
const nodePods = [
  pod('nodemesh', 'proxy-a', 'nodemesh-node-proxy', { uid: 'uid-a' }),
  pod('shop', 'orders-1', 'orders'),
  pod('shop', 'done-1', 'batch', { active: false }),
];

describe('callerOfReview', () => {
  it('takes the pod and node of a node-proxy’s pod-bound token', () => {
    expect(callerOfReview(review(), policy)).toEqual(caller);
  });

  it('refuses a token not accepted, of another audience, of another account, or not bound to a pod on a node', () => {
    const code = (r: ReviewedToken) => {
      const result = callerOfReview(r, policy);
      return 'code' in result ? result.code : 'ok';
    };
    expect(code(review({ authenticated: false, error: 'expired' }))).toBe('Unauthenticated');
    expect(code(review({ audiences: ['kubernetes'] }))).toBe('Unauthenticated');
    expect(code(review({ username: 'system:serviceaccount:shop:orders' }))).toBe('NotANodeProxy');
    expect(code(review({ username: 'system:serviceaccount:other:nodemesh-node-proxy' }))).toBe(
      'NotANodeProxy',
    );
    expect(code(review({ extra: {} }))).toBe('NotANodeProxy');
    const twoNodes = { ...review().extra, 'authentication.kubernetes.io/node-name': ['node-a', 'node-b'] };
    expect(code(review({ extra: twoNodes }))).toBe('NotANodeProxy');
  });
});

describe('authorizeServiceAccount', () => {
  it('allows a ServiceAccount with a pod on the node, in its namespace', () => {
    expect(
      authorizeServiceAccount(caller, nodePods, { namespace: 'shop', serviceAccount: 'orders' }, policy),
    ).toBe(undefined);
  });

  it('refuses one with no pod there, a finished pod only, or the same name in another namespace', () => {
    for (const request of [
      { namespace: 'shop', serviceAccount: 'billing' },
      { namespace: 'shop', serviceAccount: 'batch' },
      { namespace: 'web', serviceAccount: 'orders' },
    ]) {
      expect(authorizeServiceAccount(caller, nodePods, request, policy)?.code).toBe(
        'ServiceAccountNotOnNode',
      );
    }
  });

  it('refuses when the token’s pod is not on the node, was replaced, or is not a node-proxy', () => {
    const orders = { namespace: 'shop', serviceAccount: 'orders' };
    expect(authorizeServiceAccount(caller, nodePods.slice(1), orders, policy)?.code).toBe(
      'NodeProxyPodNotFound',
    );
    expect(authorizeServiceAccount({ ...caller, podUid: 'old' }, nodePods, orders, policy)?.code).toBe(
      'NodeProxyPodNotFound',
    );
    const impostor = [pod('nodemesh', 'proxy-a', 'other', { uid: 'uid-a' }), ...nodePods.slice(1)];
    expect(authorizeServiceAccount(caller, impostor, orders, policy)?.code).toBe('NotANodeProxy');
  });
});

describe('reading what the API server sent', () => {
  it('reads pods and reviews, and never throws on anything else', () => {
    expect(
      readNodePod({
        metadata: { namespace: 'shop', name: 'a', uid: 'u' },
        spec: { serviceAccountName: 'orders' },
        status: { phase: 'Succeeded' },
      }),
    ).toEqual({ namespace: 'shop', name: 'a', uid: 'u', serviceAccount: 'orders', active: false });
    expect(readNodePod({ metadata: { namespace: 'shop', name: 'a', uid: 'u' } })?.serviceAccount).toBe(
      'default',
    );
    expect(
      readTokenReview({ status: { authenticated: true, user: { username: 'x', extra: { k: ['v', 1] } } } }),
    ).toEqual({ authenticated: true, username: 'x', audiences: [], extra: { k: ['v'] } });
    fc.assert(
      fc.property(fc.anything(), (v) => {
        readNodePod(v);
        expect(readTokenReview(v).authenticated === true || readTokenReview(v).authenticated === false).toBe(
          true,
        );
      }),
    );
  });
});

describe('planTrustBundle', () => {
  const data = { 'ca.crt': 'ROOTS', 'issuer.sha256': 'abc' };
  it('creates, replaces with the resourceVersion, or leaves alone', () => {
    expect(planTrustBundle(undefined, data, 'nodemesh').kind).toBe('create');
    expect(planTrustBundle({ metadata: { resourceVersion: '7' }, data }, data, 'nodemesh')).toEqual({
      kind: 'none',
    });
    const replace = planTrustBundle(
      { metadata: { resourceVersion: '7' }, data: { 'ca.crt': 'OLD' } },
      data,
      'nodemesh',
    );
    expect(replace).toMatchObject({ kind: 'replace', body: { metadata: { resourceVersion: '7' }, data } });
  });
});
