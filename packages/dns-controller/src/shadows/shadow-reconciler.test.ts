import { ApiStatusError, type EventRecord, EventRecorder, silentLogger } from '@nodemesh/kube-runtime';
import { DEFAULT_MESH_DEFAULTS } from '@nodemesh/smi-types';
import { describe, expect, it } from 'vitest';
import type { KubeApi } from '../kube/kube-api.js';
import { ShadowReconciler, type ShadowReconcilerOptions } from './shadow-reconciler.js';

const config = {
  meshNamespace: 'nodemesh',
  watchNamespaces: [],
  ignoreNamespaces: [],
  defaults: DEFAULT_MESH_DEFAULTS,
  tcpRange: { first: 10000, last: 10009 },
  udpRange: { first: 15000, last: 15009 },
  httpEntrypoints: 10,
};

const service = (name: string, annotations: Record<string, string> = {}) => ({
  metadata: { namespace: 'shop', name, uid: `uid-${name}`, resourceVersion: '1', annotations },
  spec: { ports: [{ name: 'web', port: 80 }] },
});

/** A KubeApi whose create answers with the given status (201 when absent); records the calls. */
function fakeApi(status?: number) {
  const calls: string[] = [];
  const api: KubeApi = {
    get: async () => undefined,
    list: async () => [],
    create: async (path, body) => {
      calls.push(`POST ${path}`);
      if (status !== undefined) throw new ApiStatusError(status, `HTTP ${status}`);
      return body;
    },
    replace: async (path) => calls.push(`PUT ${path}`),
    mergePatch: async (path) => calls.push(`PATCH ${path}`),
    delete: async (path) => {
      calls.push(`DELETE ${path}`);
    },
  };
  return { api, calls };
}

function reconciler(api: KubeApi, services: unknown[], extra: Partial<ShadowReconcilerOptions> = {}) {
  const recorded: EventRecord[] = [];
  const events = new EventRecorder({
    component: 'test',
    sink: { create: async (e) => void recorded.push(e), update: async (e) => void recorded.push(e) },
  });
  let requests = 0;
  const writes: string[] = [];
  const r = new ShadowReconciler({
    config,
    api,
    userServices: () => services,
    shadows: () => [],
    events,
    logger: silentLogger,
    requestSync: () => requests++,
    onWrite: (operation, result) => writes.push(`${operation}:${result}`),
    observeTimeoutMs: 50,
    ...extra,
  });
  return { r, recorded, events, writes, requests: () => requests };
}

describe('ShadowReconciler', () => {
  it('creates the planned shadows in the mesh namespace', async () => {
    const { api, calls } = fakeApi();
    const { r, writes } = reconciler(api, [service('orders')]);
    await r.sync();
    expect(calls).toEqual(['POST /api/v1/namespaces/nodemesh/services']);
    expect(writes).toEqual(['create:ok']);
  });

  it('leaves a 409 to the next sync without failing this one', async () => {
    const { api } = fakeApi(409);
    const { r, writes, requests } = reconciler(api, [service('orders')]);
    await expect(r.sync()).resolves.toBeUndefined();
    expect(writes).toEqual(['create:conflict']);
    expect(requests()).toBe(1);
  });

  it('fails the sync on other errors, after trying every write', async () => {
    const { api, calls } = fakeApi(500);
    const { r, writes } = reconciler(api, [service('a'), service('b')]);
    await expect(r.sync()).rejects.toThrow(/create .*HTTP 500/);
    expect(calls).toHaveLength(2);
    expect(writes).toEqual(['create:error', 'create:error']);
  });

  it('records a Warning once while the problem lasts, and again when it comes back', async () => {
    const { api } = fakeApi();
    const services: unknown[] = [service('web', { 'nodemesh.io/timeout': 'soon' })];
    const { r, recorded, events } = reconciler(api, services);
    await r.sync();
    await r.sync();
    await events.flush();
    expect(recorded.map((e) => [e.reason, e.count, e.involvedObject.uid])).toEqual([
      ['InvalidAnnotations', 1, 'uid-web'],
    ]);
    services[0] = service('web');
    await r.sync();
    services[0] = service('web', { 'nodemesh.io/timeout': 'soon' });
    await r.sync();
    await events.flush();
    expect(recorded.map((e) => e.count)).toEqual([1, 2]);
  });
});
