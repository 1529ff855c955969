/**
 * The ServiceAccounts of a Service's pods on its shadow (nodemesh.io/service-accounts), against the in-memory
 * API server: pods coming and going change it; pods changing status only cause no write.
 */
import type { ApiServer } from '@nodemesh/apiserver';
import { afterEach, describe, expect, it } from 'vitest';
import type { DnsController } from '../../src/index.js';
import { call, createService, shadowsByService, startCluster, startController, waitFor } from './support.js';

let server: ApiServer | undefined;
const controllers: DnsController[] = [];

afterEach(async () => {
  await Promise.all(controllers.splice(0).map((c) => c.stop()));
  await server?.stop();
  server = undefined;
});

const ANNOTATION = 'nodemesh.io/service-accounts';

function api(): ApiServer {
  if (server === undefined) throw new Error('no API server');
  return server;
}

async function must(method: string, path: string, body?: unknown) {
  const result = await call(api(), method, path, body);
  if (result.status >= 300)
    throw new Error(`${method} ${path}: ${result.status} ${JSON.stringify(result.body)}`);
  return result.body;
}

function createPod(namespace: string, name: string, app: string, serviceAccountName?: string) {
  return must('POST', `/api/v1/namespaces/${namespace}/pods`, {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels: { app } },
    spec: {
      ...(serviceAccountName === undefined ? {} : { serviceAccountName }),
      containers: [{ name: 'app', image: 'example.org/app:1' }],
    },
  });
}

/** Replaces the pod's status (the status subresource), as the kubelet does. */
async function setPodStatus(namespace: string, name: string, status: Record<string, unknown>) {
  const path = `/api/v1/namespaces/${namespace}/pods/${name}`;
  const pod = await must('GET', path);
  await must('PUT', `${path}/status`, { ...pod, status });
}

async function shadowOf(key: string) {
  return (await shadowsByService(api())).get(key) as
    | { metadata: { resourceVersion: string; annotations?: Record<string, string> } }
    | undefined;
}

const accountsOf = async (key: string) => (await shadowOf(key))?.metadata.annotations?.[ANNOTATION];

async function start(identity = 'one') {
  const controller = await startController(api(), { identity });
  controllers.push(controller);
  return controller;
}

describe('ServiceAccounts on shadow Services', () => {
  it('lists the ServiceAccounts of the selected pods and follows pods that come and go', async () => {
    server = await startCluster();
    await createPod('shop', 'orders-1', 'orders', 'orders');
    await createPod('shop', 'orders-2', 'orders', 'orders');
    await createPod('shop', 'orders-3', 'orders');
    await createPod('web', 'orders-x', 'orders', 'elsewhere');
    await createService(api(), 'shop', 'orders', [{ name: 'http', port: 80 }]);
    await start();
    await waitFor(
      'the shadow with its ServiceAccounts',
      async () => (await accountsOf('shop/orders')) === 'default,orders',
    );

    await createPod('shop', 'orders-admin', 'orders', 'admin');
    await waitFor('admin added', async () => (await accountsOf('shop/orders')) === 'admin,default,orders');
    await must('DELETE', '/api/v1/namespaces/shop/pods/orders-admin');
    await waitFor('admin removed', async () => (await accountsOf('shop/orders')) === 'default,orders');
    await setPodStatus('shop', 'orders-3', { phase: 'Failed' });
    await waitFor(
      'a finished pod no longer counts',
      async () => (await accountsOf('shop/orders')) === 'orders',
    );
  });

  it('writes nothing when pods change status only', async () => {
    server = await startCluster();
    await createPod('shop', 'orders-1', 'orders', 'orders');
    await createService(api(), 'shop', 'orders', [{ name: 'http', port: 80 }]);
    await createService(api(), 'shop', 'billing', [{ name: 'http', port: 80 }]);
    await start();
    await waitFor('the shadows', async () => (await accountsOf('shop/orders')) === 'orders');
    await waitFor('the billing shadow', async () => (await accountsOf('shop/billing')) === '');
    const before = (await shadowOf('shop/orders'))?.metadata.resourceVersion;

    for (const phase of ['Pending', 'Running']) {
      await setPodStatus('shop', 'orders-1', {
        phase,
        podIP: '10.1.0.7',
        conditions: [{ type: 'Ready', status: 'True' }],
      });
    }
    expect((await must('GET', '/api/v1/namespaces/shop/pods/orders-1')).status).toMatchObject({
      phase: 'Running',
    });
    // A later change elsewhere shows the controller has seen the status updates (events arrive in order).
    await createPod('shop', 'billing-1', 'billing', 'billing');
    await waitFor('the later change', async () => (await accountsOf('shop/billing')) === 'billing');
    expect((await shadowOf('shop/orders'))?.metadata.resourceVersion).toBe(before);
  });

  it('writes no ServiceAccounts on the shadow of a Service without a selector', async () => {
    server = await startCluster();
    await createPod('shop', 'manual-1', 'manual', 'manual');
    await must('POST', '/api/v1/namespaces/shop/services', {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'manual' },
      spec: { ports: [{ name: 'http', port: 80 }] },
    });
    await start();
    await waitFor('the shadow', async () => (await shadowOf('shop/manual')) !== undefined);
    expect((await shadowOf('shop/manual'))?.metadata.annotations).not.toHaveProperty(ANNOTATION);
  });

  it('watches pods on the leader only', async () => {
    server = await startCluster();
    const a = await start('replica-a');
    const b = await start('replica-b');
    await waitFor('a leader', () => a.isLeader() || b.isLeader());
    const [leader, standby] = a.isLeader() ? [a, b] : [b, a];
    await waitFor('the leader to watch pods', async () =>
      (await leader.registry.metrics()).includes(
        'nodemesh_dns_controller_informer_synced{informer="pods"} 1',
      ),
    );
    expect(await standby.registry.metrics()).not.toContain('informer="pods"');
  });
});
