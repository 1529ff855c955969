/**
 * TokenRequest and TokenReview over HTTP: tokens bound to a
 * pod review with the pod and its node in user.extra (Kubernetes 1.30+), and stop reviewing when the pod is
 * gone, for another audience, or when forged. (`kubectl create token` sends protobuf, which this server does
 * not decode yet.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiServer, type AuditCall, startApiServer } from '../src/index.js';
import { call } from './helpers.js';

let server: ApiServer;
const calls: AuditCall[] = [];

beforeAll(async () => {
  server = await startApiServer({ onRequest: (c) => calls.push(c) });
  await call(server.url, 'POST', '/api/v1/namespaces', { metadata: { name: 'nodemesh' } });
  await call(server.url, 'POST', '/api/v1/nodes', { metadata: { name: 'node-a' } });
  for (const name of ['proxy', 'other']) {
    await call(server.url, 'POST', '/api/v1/namespaces/nodemesh/serviceaccounts', { metadata: { name } });
  }
  await call(server.url, 'POST', '/api/v1/namespaces/nodemesh/pods', pod('proxy-a', 'proxy', 'node-a'));
});

afterAll(async () => {
  await server?.stop();
});

function pod(name: string, serviceAccountName: string, nodeName: string) {
  return {
    metadata: { name },
    spec: { serviceAccountName, nodeName, containers: [{ name: 'c', image: 'i' }] },
  };
}

async function tokenFor(account: string, spec: Record<string, unknown>) {
  return call(server.url, 'POST', `/api/v1/namespaces/nodemesh/serviceaccounts/${account}/token`, {
    apiVersion: 'authentication.k8s.io/v1',
    kind: 'TokenRequest',
    spec,
  });
}

async function review(token: string, audiences: string[]) {
  const answer = await call(server.url, 'POST', '/apis/authentication.k8s.io/v1/tokenreviews', {
    apiVersion: 'authentication.k8s.io/v1',
    kind: 'TokenReview',
    spec: { token, audiences },
  });
  expect(answer.status).toBe(201);
  return answer.body.status as {
    authenticated: boolean;
    error?: string;
    audiences?: string[];
    user: { username?: string; groups?: string[]; extra?: Record<string, string[]> };
  };
}

const bound = { kind: 'Pod', apiVersion: 'v1', name: 'proxy-a' };

describe('ServiceAccount tokens', () => {
  it('signs a token bound to a pod; its review names the pod and the node', async () => {
    const answer = await tokenFor('proxy', {
      audiences: ['mesh'],
      expirationSeconds: 600,
      boundObjectRef: bound,
    });
    expect(answer.status).toBe(201);
    const status = answer.body.status as { token: string; expirationTimestamp: string };
    expect(Date.parse(status.expirationTimestamp) - Date.now()).toBeGreaterThan(590_000);
    const pods = await call(server.url, 'GET', '/api/v1/namespaces/nodemesh/pods/proxy-a');
    const nodes = await call(server.url, 'GET', '/api/v1/nodes/node-a');
    const reviewed = await review(status.token, ['mesh']);
    expect(reviewed).toMatchObject({
      authenticated: true,
      audiences: ['mesh'],
      user: {
        username: 'system:serviceaccount:nodemesh:proxy',
        groups: ['system:serviceaccounts', 'system:serviceaccounts:nodemesh', 'system:authenticated'],
        extra: {
          'authentication.kubernetes.io/pod-name': ['proxy-a'],
          'authentication.kubernetes.io/pod-uid': [(pods.body.metadata as { uid: string }).uid],
          'authentication.kubernetes.io/node-name': ['node-a'],
          'authentication.kubernetes.io/node-uid': [(nodes.body.metadata as { uid: string }).uid],
        },
      },
    });
    expect(calls).toContainEqual(
      expect.objectContaining({
        verb: 'create',
        resource: 'serviceaccounts',
        subresource: 'token',
        name: 'proxy',
      }),
    );
    expect(calls).toContainEqual(
      expect.objectContaining({
        verb: 'create',
        apiGroup: 'authentication.k8s.io',
        resource: 'tokenreviews',
      }),
    );
  });

  it('refuses a token for another audience, a forged one and garbage', async () => {
    const answer = await tokenFor('proxy', { audiences: ['mesh'], boundObjectRef: bound });
    const token = (answer.body.status as { token: string }).token;
    const other = await review(token, ['somebody-else']);
    expect(other.authenticated).toBe(false);
    expect(other.error).toContain('audiences');
    const [header, , signature] = token.split('.');
    const claims = { sub: 'system:serviceaccount:nodemesh:other', aud: ['mesh'], exp: 2 ** 40 };
    const forged = `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${signature}`;
    expect((await review(forged, ['mesh'])).authenticated).toBe(false);
    expect((await review('not.a.token', ['mesh'])).authenticated).toBe(false);
    const noDefault = await review(token, []);
    expect(noDefault.authenticated).toBe(false);
  });

  it('stops reviewing a bound token once its pod is gone or replaced', async () => {
    await call(server.url, 'POST', '/api/v1/namespaces/nodemesh/pods', pod('short', 'proxy', 'node-a'));
    const answer = await tokenFor('proxy', {
      audiences: ['mesh'],
      boundObjectRef: { kind: 'Pod', name: 'short' },
    });
    const token = (answer.body.status as { token: string }).token;
    expect((await review(token, ['mesh'])).authenticated).toBe(true);
    await call(server.url, 'DELETE', '/api/v1/namespaces/nodemesh/pods/short');
    await call(server.url, 'POST', '/api/v1/namespaces/nodemesh/pods', pod('short', 'proxy', 'node-a'));
    const replaced = await review(token, ['mesh']);
    expect(replaced.authenticated).toBe(false);
    expect(replaced.error).toContain('pods "short" not found');
  });

  it('refuses what the real server refuses: no such account, a pod of another account, too short a life', async () => {
    expect((await tokenFor('nobody', {})).status).toBe(404);
    expect((await tokenFor('other', { boundObjectRef: bound })).status).toBe(400);
    expect((await tokenFor('proxy', { expirationSeconds: 10 })).status).toBe(422);
    expect((await tokenFor('proxy', { boundObjectRef: { ...bound, uid: 'wrong' } })).status).toBe(409);
    expect((await tokenFor('proxy', { boundObjectRef: { kind: 'Pod', name: 'absent' } })).status).toBe(404);
    const get = await call(server.url, 'GET', '/apis/authentication.k8s.io/v1/tokenreviews');
    expect(get.status).toBe(405);
  });

  it('lists both endpoints in discovery', async () => {
    const core = await call(server.url, 'GET', '/api/v1');
    expect(core.body.resources).toContainEqual(
      expect.objectContaining({ name: 'serviceaccounts/token', kind: 'TokenRequest', verbs: ['create'] }),
    );
    const auth = await call(server.url, 'GET', '/apis/authentication.k8s.io/v1');
    expect(auth.body.resources).toContainEqual(
      expect.objectContaining({ name: 'tokenreviews', kind: 'TokenReview', verbs: ['create'] }),
    );
  });
});
