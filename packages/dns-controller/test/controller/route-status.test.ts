/**
 * Route status from the running dns-controller: it starts and serves while the Gateway API CRDs are absent,
 * notices them once installed, and its leader then writes `status.parents` on mesh routes; a standby writes
 * nothing.
 */
import type { ApiServer } from '@nodemesh/apiserver';
import { gatewayCustomResourceDefinitions } from '@nodemesh/smi-types';
import { afterEach, describe, expect, it } from 'vitest';
import type { DnsController } from '../../src/index.js';
import { call, createService, shadowsByService, startCluster, startController, waitFor } from './support.js';

let server: ApiServer | undefined;
const controllers: DnsController[] = [];

afterEach(async () => {
  for (const controller of controllers.splice(0)) await controller.stop();
  await server?.stop();
  server = undefined;
});

const routePath = '/apis/gateway.networking.k8s.io/v1/namespaces/shop/httproutes';

type Condition = { type: string; status: string; reason: string };
async function conditions(api: ApiServer, name: string): Promise<Condition[]> {
  const route = await call(api, 'GET', `${routePath}/${name}`);
  const parents =
    (route.body.status as { parents?: { conditions?: Condition[] }[] } | undefined)?.parents ?? [];
  return parents[0]?.conditions ?? [];
}

describe('route status', () => {
  it('tolerates absent Gateway API CRDs, then writes status once they are installed (leader only)', async () => {
    server = await startCluster();
    const api = server;
    const options = { crdProbeIntervalMs: 100, clusterDns: 'none' as const };
    const first = await startController(api, { ...options, identity: 'first' });
    controllers.push(first);
    await waitFor('a leader', () => first.isLeader());
    const second = await startController(api, { ...options, identity: 'second' });
    controllers.push(second);
    await createService(api, 'shop', 'orders', [{ name: 'http', port: 80 }]);
    await waitFor('the shadow of shop/orders', async () => (await shadowsByService(api)).has('shop/orders'));
    expect(first.notReady()).toEqual([]);

    for (const crd of gatewayCustomResourceDefinitions()) {
      const created = await call(api, 'POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', crd);
      expect(created.status).toBe(201);
    }
    await waitFor(
      'the HTTPRoute collection served',
      async () => (await call(api, 'GET', routePath)).status === 200,
    );
    const route = (name: string, parent: string) =>
      call(api, 'POST', routePath, {
        apiVersion: 'gateway.networking.k8s.io/v1',
        kind: 'HTTPRoute',
        metadata: { name },
        spec: {
          parentRefs: [{ group: '', kind: 'Service', name: parent }],
          rules: [{ backendRefs: [{ name: 'orders', port: 80 }] }],
        },
      });
    expect((await route('good', 'orders')).status).toBe(201);
    expect((await route('orphan', 'nowhere')).status).toBe(201);
    await waitFor(
      'status on both routes',
      async () =>
        (await conditions(api, 'good')).length === 2 && (await conditions(api, 'orphan')).length === 2,
    );
    expect((await conditions(api, 'good')).map((c) => `${c.type}=${c.status}/${c.reason}`)).toEqual([
      'Accepted=True/Accepted',
      'ResolvedRefs=True/ResolvedRefs',
    ]);
    expect((await conditions(api, 'orphan'))[0]).toMatchObject({
      type: 'Accepted',
      status: 'False',
      reason: 'NoMatchingParent',
    });

    // The parent appears: the status follows.
    await createService(api, 'shop', 'nowhere', [{ name: 'http', port: 80 }]);
    await waitFor('the orphan accepted', async () => (await conditions(api, 'orphan'))[0]?.status === 'True');
    const writes = async (controller: DnsController) =>
      (await controller.registry.getSingleMetricAsString('nodemesh_dns_controller_route_status_writes_total'))
        .split('\n')
        .filter((line) => line.startsWith('nodemesh_dns_controller_route_status_writes_total{result="ok"}'))
        .map((line) => Number(line.split(' ')[1]))[0] ?? 0;
    const leader = first.isLeader() ? first : second;
    const standby = leader === first ? second : first;
    expect(await writes(leader)).toBeGreaterThanOrEqual(3);
    expect(await writes(standby)).toBe(0);
  });
});
