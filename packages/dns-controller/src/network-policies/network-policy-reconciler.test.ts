import { ApiStatusError, type EventRecord, EventRecorder, silentLogger } from '@nodemesh/kube-runtime';
import { DEFAULT_MESH_DEFAULTS, desiredShadowService, readUserService } from '@nodemesh/smi-types';
import { describe, expect, it } from 'vitest';
import type { KubeApi } from '../kube/kube-api.js';
import { NetworkPolicyReconciler } from './network-policy-reconciler.js';

const service = (name: string, selector?: Record<string, string>) => ({
  metadata: { namespace: 'shop', name, uid: `uid-${name}`, resourceVersion: '1' },
  spec: { ...(selector === undefined ? {} : { selector }), ports: [{ name: 'web', port: 80 }] },
});

function strictShadow(svc: ReturnType<typeof service>) {
  const read = readUserService(svc);
  if (!read.ok) throw new Error('bad test Service');
  return desiredShadowService(
    read.value,
    DEFAULT_MESH_DEFAULTS,
    { allocations: [] },
    {
      meshNamespace: 'nodemesh',
      mtlsMode: 'strict',
    },
  );
}

function setup(services: unknown[], createStatus?: number) {
  const calls: string[] = [];
  const api: KubeApi = {
    get: async () => undefined,
    list: async () => [],
    create: async (path) => {
      calls.push(`POST ${path}`);
      if (createStatus !== undefined) throw new ApiStatusError(createStatus, `HTTP ${createStatus}`);
      return {};
    },
    replace: async (path) => calls.push(`PUT ${path}`),
    mergePatch: async (path) => calls.push(`PATCH ${path}`),
    delete: async (path) => {
      calls.push(`DELETE ${path}`);
    },
  };
  const recorded: EventRecord[] = [];
  const events = new EventRecorder({
    component: 'test',
    sink: { create: async (e) => void recorded.push(e), update: async (e) => void recorded.push(e) },
  });
  let requests = 0;
  const reconciler = new NetworkPolicyReconciler({
    meshNamespace: 'nodemesh',
    api,
    shadows: () => services.map((s) => strictShadow(s as ReturnType<typeof service>)),
    userServices: () => services,
    policies: () => [],
    events,
    logger: silentLogger,
    requestSync: () => requests++,
  });
  return { reconciler, calls, recorded, events, requests: () => requests };
}

describe('NetworkPolicyReconciler', () => {
  it('creates the policy in the Service namespace', async () => {
    const { reconciler, calls } = setup([service('orders', { app: 'orders' })]);
    await reconciler.sync();
    expect(calls).toEqual(['POST /apis/networking.k8s.io/v1/namespaces/shop/networkpolicies']);
  });

  it('leaves a policy of the same name it does not manage alone, without retrying in a loop', async () => {
    const { reconciler, requests } = setup([service('orders', { app: 'orders' })], 409);
    await expect(reconciler.sync()).resolves.toBeUndefined();
    expect(requests()).toBe(0);
  });

  it('fails the sync on other errors, so the runner retries it', async () => {
    const { reconciler } = setup([service('orders', { app: 'orders' })], 500);
    await expect(reconciler.sync()).rejects.toThrow(/create shop\/nodemesh-strict-orders: HTTP 500/);
  });

  it('records a Warning on a strict Service without a selector, once while it lasts', async () => {
    const { reconciler, calls, recorded, events } = setup([service('legacy')]);
    await reconciler.sync();
    await reconciler.sync();
    await events.flush();
    expect(calls).toEqual([]);
    expect(recorded.map((e) => [e.involvedObject.name, e.reason, e.count])).toEqual([
      ['legacy', 'StrictWithoutSelector', 1],
    ]);
  });
});
