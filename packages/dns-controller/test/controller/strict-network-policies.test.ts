/**
 * In strict mTLS mode the leader keeps a NetworkPolicy beside each strict Service, against the in-memory API
 * server: created when the mode becomes strict, updated when the selector changes, deleted when the mode is
 * no longer strict or the Service is gone; a policy it does not manage is never touched.
 */
import type { ApiServer } from '@nodemesh/apiserver';
import { afterEach, describe, expect, it } from 'vitest';
import type { DnsController } from '../../src/index.js';
import { call, createService, startCluster, startController, waitFor } from './support.js';

let server: ApiServer | undefined;
const controllers: DnsController[] = [];

afterEach(async () => {
  await Promise.all(controllers.splice(0).map((c) => c.stop()));
  await server?.stop();
  server = undefined;
});

function api(): ApiServer {
  if (server === undefined) throw new Error('no API server');
  return server;
}

const POLICIES = '/apis/networking.k8s.io/v1/namespaces/shop/networkpolicies';

interface Policy {
  metadata: { name: string; labels?: Record<string, string> };
  spec: { podSelector: { matchLabels: Record<string, string> }; ingress: unknown[] };
}

async function policies(): Promise<Map<string, Policy>> {
  const list = await call(api(), 'GET', POLICIES);
  const items = (list.body.items ?? []) as Policy[];
  return new Map(items.map((p) => [p.metadata.name, p]));
}

async function patch(path: string, body: unknown) {
  const res = await fetch(`${api().url}${path}`, {
    method: 'PATCH',
    headers: { 'Content-Type': 'application/merge-patch+json' },
    body: JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`PATCH ${path}: ${res.status} ${await res.text()}`);
}

describe('strict-mode NetworkPolicies', () => {
  it('are created, updated and deleted in step with the mode and the selector', async () => {
    server = await startCluster();
    // Someone else's policy in the same namespace: never touched.
    const own = await call(api(), 'POST', POLICIES, {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: 'allow-ingress-controller' },
      spec: { podSelector: { matchLabels: { app: 'orders' } }, ingress: [{}], policyTypes: ['Ingress'] },
    });
    expect(own.status).toBe(201);
    controllers.push(await startController(server, { identity: 'one', mtlsMode: 'permissive' }));
    await createService(api(), 'shop', 'orders', [{ name: 'http', port: 80 }]);
    await createService(api(), 'shop', 'pinned', [{ name: 'http', port: 80 }], {
      'nodemesh.io/mtls': 'strict',
    });

    await waitFor('the policy of the strict Service', async () =>
      (await policies()).has('nodemesh-strict-pinned'),
    );
    const pinned = (await policies()).get('nodemesh-strict-pinned');
    expect(pinned?.metadata.labels?.['app.kubernetes.io/managed-by']).toBe('nodemesh-dns-controller');
    expect(pinned?.spec.podSelector).toEqual({ matchLabels: { app: 'pinned' } });
    expect(pinned?.spec.ingress).toEqual([
      {
        from: [
          {
            namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'nodemesh' } },
            podSelector: { matchLabels: { 'app.kubernetes.io/component': 'node-proxy' } },
          },
        ],
      },
    ]);
    expect((await policies()).has('nodemesh-strict-orders')).toBe(false);

    // The whole namespace strict: shop/orders closed too.
    await patch('/api/v1/namespaces/shop', { metadata: { annotations: { 'nodemesh.io/mtls': 'strict' } } });
    await waitFor('the policy of shop/orders', async () => (await policies()).has('nodemesh-strict-orders'));

    // A new selector: the policy follows.
    await patch('/api/v1/namespaces/shop/services/orders', { spec: { selector: { app: 'orders-v2' } } });
    await waitFor(
      'the policy selecting the new pods',
      async () =>
        (await policies()).get('nodemesh-strict-orders')?.spec.podSelector.matchLabels.app === 'orders-v2',
    );

    // No longer strict: removed; the Service gone: removed.
    await patch('/api/v1/namespaces/shop', { metadata: { annotations: { 'nodemesh.io/mtls': null } } });
    await waitFor(
      'the policy of shop/orders removed',
      async () => !(await policies()).has('nodemesh-strict-orders'),
    );
    expect((await call(api(), 'DELETE', '/api/v1/namespaces/shop/services/pinned')).status).toBeLessThan(300);
    await waitFor(
      'the policy of shop/pinned removed',
      async () => !(await policies()).has('nodemesh-strict-pinned'),
    );

    expect([...(await policies()).keys()]).toEqual(['allow-ingress-controller']);
  });

  it('puts back a managed policy someone deleted, and removes one left behind', async () => {
    server = await startCluster();
    await call(api(), 'POST', POLICIES, {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: {
        name: 'nodemesh-strict-gone',
        labels: {
          'app.kubernetes.io/managed-by': 'nodemesh-dns-controller',
          'nodemesh.io/mtls-strict-for': 'gone',
        },
      },
      spec: { podSelector: { matchLabels: { app: 'gone' } }, policyTypes: ['Ingress'] },
    });
    controllers.push(await startController(server, { identity: 'one', mtlsMode: 'strict' }));
    await createService(api(), 'shop', 'orders', [{ name: 'http', port: 80 }]);
    await waitFor('the policy of shop/orders', async () => (await policies()).has('nodemesh-strict-orders'));
    await waitFor('the leftover removed', async () => !(await policies()).has('nodemesh-strict-gone'));
    await call(api(), 'DELETE', `${POLICIES}/nodemesh-strict-orders`);
    await waitFor('the policy put back', async () => (await policies()).has('nodemesh-strict-orders'));
  });
});
