import { existsSync } from 'node:fs';
import type { ApiServer } from '@nodemesh/apiserver';
import { createLogger } from '@nodemesh/kube-runtime';
import { shadowServiceName } from '@nodemesh/smi-types';
import { afterEach, describe, expect, it } from 'vitest';
import { cleanupClusterDns, type DnsController, kubeApi, removeAllShadows } from '../../src/index.js';
import {
  COREFILE,
  call,
  clusterIpOf,
  controllerOptions,
  corefile,
  createService,
  dig,
  digStatus,
  shadowPath,
  shadowsByService,
  startCluster,
  startController,
  targetPorts,
  waitFor,
} from './support.js';

let server: ApiServer | undefined;
const controllers: DnsController[] = [];

async function start(overrides: Parameters<typeof startController>[1] = {}) {
  if (server === undefined) throw new Error('no API server');
  const controller = await startController(server, overrides);
  controllers.push(controller);
  return controller;
}

afterEach(async () => {
  await Promise.all(controllers.splice(0).map((c) => c.stop()));
  await server?.stop();
  server = undefined;
});

describe.skipIf(!existsSync('/usr/bin/dig'))('dns-controller against the in-memory API server', () => {
  it('gives a new Service a shadow and a mesh name, and takes the name away when it goes', async () => {
    server = await startCluster();
    const controller = await start({ identity: 'one' });
    await waitFor('leadership', () => controller.isLeader());
    await createService(server, 'shop', 'orders', [{ name: 'web', port: 8080 }]);
    let shadow: Record<string, unknown> | undefined;
    await waitFor('the shadow', async () => {
      shadow = (await shadowsByService(server as ApiServer)).get('shop/orders');
      return shadow !== undefined;
    });
    expect(targetPorts(shadow)).toEqual([5000]);
    expect((shadow?.metadata as { name?: string } | undefined)?.name).toBe(
      shadowServiceName('shop', 'orders'),
    );
    const ip = clusterIpOf(shadow);
    expect(ip).toMatch(/^10\.96\./);
    await waitFor('the zone', () => controller.zone.get('shop', 'orders') !== undefined);

    const answer = await dig(controller.dns.port, 'orders.shop.mesh', 'A', '+noall', '+comments', '+answer');
    expect(digStatus(answer)).toBe('NOERROR');
    expect(answer).toMatch(
      new RegExp(`orders\\.shop\\.mesh\\.\\s+5\\s+IN\\s+A\\s+${ip?.replaceAll('.', '\\.')}`),
    );
    expect(await dig(controller.dns.port, '_web._tcp.orders.shop.mesh', 'SRV', '+short')).toContain(
      '0 100 8080 orders.shop.mesh.',
    );

    await call(server, 'DELETE', '/api/v1/namespaces/shop/services/orders');
    await waitFor(
      'the shadow to go',
      async () => !(await shadowsByService(server as ApiServer)).has('shop/orders'),
    );
    await waitFor('the zone to forget', () => controller.zone.get('shop', 'orders') === undefined);
    expect(digStatus(await dig(controller.dns.port, 'orders.shop.mesh', 'A'))).toBe('NXDOMAIN');
  });

  it('keeps every TCP and UDP allocation across a restart', async () => {
    server = await startCluster();
    let controller = await start({ identity: 'first' });
    await createService(server, 'web', 'zeta', [{ name: 'pg', port: 5432 }], {
      'nodemesh.io/traffic-type': 'tcp',
    });
    await createService(server, 'web', 'voice', [{ name: 'rtp', port: 4000, protocol: 'UDP' }]);
    await waitFor('two shadows', async () => (await shadowsByService(server as ApiServer)).size === 2);
    const before = await shadowsByService(server);
    expect(targetPorts(before.get('web/zeta'))).toEqual([10000]);
    expect(targetPorts(before.get('web/voice'))).toEqual([15000]);
    await controller.stop();

    // Services that sort first would take the lowest ports if the allocations were not read back.
    await createService(server, 'shop', 'alpha', [{ name: 'pg', port: 5432 }], {
      'nodemesh.io/traffic-type': 'tcp',
    });
    await createService(server, 'shop', 'beta', [{ name: 'rtp', port: 4000, protocol: 'UDP' }]);
    controller = await start({ identity: 'second' });
    await waitFor(
      'four shadows',
      async () => (await shadowsByService(server as ApiServer)).size === 4,
      15_000,
    );
    const after = await shadowsByService(server);
    expect(targetPorts(after.get('web/zeta'))).toEqual([10000]);
    expect(targetPorts(after.get('web/voice'))).toEqual([15000]);
    expect(targetPorts(after.get('shop/alpha'))).toEqual([10001]);
    expect(targetPorts(after.get('shop/beta'))).toEqual([15001]);
    expect(clusterIpOf(after.get('web/zeta'))).toBe(clusterIpOf(before.get('web/zeta')));
  });

  it('keeps the last good shadow and records a Warning Event for bad annotations', async () => {
    server = await startCluster();
    const controller = await start({ identity: 'one' });
    await createService(server, 'shop', 'db', [{ name: 'pg', port: 5432 }], {
      'nodemesh.io/traffic-type': 'tcp',
    });
    await waitFor('the shadow', async () => (await shadowsByService(server as ApiServer)).has('shop/db'));
    const good = (await shadowsByService(server)).get('shop/db');

    const current = await call(server, 'GET', '/api/v1/namespaces/shop/services/db');
    const metadata = current.body.metadata as Record<string, unknown>;
    metadata.annotations = { 'nodemesh.io/traffic-type': 'tcp', 'nodemesh.io/retry-attemps': '3' };
    const spec = current.body.spec as { ports: { port: number }[] };
    spec.ports = [{ ...spec.ports[0], port: 6543 } as { port: number }];
    expect((await call(server, 'PUT', '/api/v1/namespaces/shop/services/db', current.body)).status).toBe(200);

    let warning: Record<string, unknown> | undefined;
    await waitFor('a Warning Event', async () => {
      const events = await call(server as ApiServer, 'GET', '/api/v1/namespaces/shop/events');
      const items = (events.body.items ?? []) as Record<string, unknown>[];
      warning = items.find((e) => e.reason === 'InvalidAnnotations');
      return warning !== undefined;
    });
    expect(warning?.type).toBe('Warning');
    expect(warning?.involvedObject).toMatchObject({ kind: 'Service', namespace: 'shop', name: 'db' });
    expect(warning?.message).toContain('metadata.annotations["nodemesh.io/retry-attemps"]');
    // Give the controller time to (wrongly) act, then check the shadow is untouched.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const kept = (await shadowsByService(server)).get('shop/db');
    const versionOf = (obj: Record<string, unknown> | undefined) =>
      (obj?.metadata as { resourceVersion?: string } | undefined)?.resourceVersion;
    expect(versionOf(kept)).toBe(versionOf(good));
    expect(controller.zone.get('shop', 'db')?.record.ports).toEqual([
      { name: 'pg', port: 5432, protocol: 'TCP' },
    ]);
  });

  it('adds the Corefile block, restores it after removal, and cleanup gives back the Corefile byte for byte', async () => {
    server = await startCluster();
    const controller = await start({ identity: 'one' });
    const dnsService = await call(server, 'GET', '/api/v1/namespaces/nodemesh/services/nodemesh-dns');
    const dnsIp = clusterIpOf(dnsService.body);
    await waitFor('the block', async () =>
      (await corefile(server as ApiServer)).includes('# nodemesh:begin'),
    );
    const withBlock = await corefile(server);
    expect(withBlock).toContain(`forward . ${dnsIp}:53`);
    expect(withBlock.endsWith(COREFILE)).toBe(true);

    const cm = await call(server, 'GET', '/api/v1/namespaces/kube-system/configmaps/coredns');
    (cm.body.data as { Corefile: string }).Corefile = COREFILE;
    expect(
      (await call(server, 'PUT', '/api/v1/namespaces/kube-system/configmaps/coredns', cm.body)).status,
    ).toBe(200);
    await waitFor('the block to come back', async () => (await corefile(server as ApiServer)) === withBlock);

    await createService(server, 'shop', 'orders', [{ name: 'web', port: 80 }]);
    await waitFor('the shadow', async () => (await shadowsByService(server as ApiServer)).size === 1);
    await controller.stop();
    const api = kubeApi(controllerOptions(server).kubeConfig);
    const cleaned = await cleanupClusterDns(api, 'mesh');
    expect(cleaned).toEqual({ present: false, problems: [], conflicts: 0 });
    expect(await removeAllShadows(api, 'nodemesh')).toEqual([shadowServiceName('shop', 'orders')]);
    expect(await corefile(server)).toBe(COREFILE);
    expect((await shadowsByService(server)).size).toBe(0);
    expect((await call(server, 'GET', shadowPath('nodemesh-dns'))).status).toBe(200);
  });

  it('reports an unparseable Corefile and leaves it alone', async () => {
    server = await startCluster();
    const cm = await call(server, 'GET', '/api/v1/namespaces/kube-system/configmaps/coredns');
    const broken = `${COREFILE}mesh:53 {\n`;
    (cm.body.data as { Corefile: string }).Corefile = broken;
    await call(server, 'PUT', '/api/v1/namespaces/kube-system/configmaps/coredns', cm.body);
    const lines: string[] = [];
    const logger = createLogger({ component: 'test', level: 'warn', write: (line) => lines.push(line) });
    const controller = await start({ identity: 'one', logger });
    await waitFor('the problem to be logged', () =>
      lines.some(
        (line) => line.includes('cannot point the cluster DNS') && line.includes('coredns.data.Corefile'),
      ),
    );
    expect(await controller.registry.metrics()).toContain(
      'nodemesh_dns_controller_cluster_dns_block_present 0',
    );
    expect(await corefile(server)).toBe(broken);
  });

  it('fails over to the other replica when the leader stops; both answer DNS', async () => {
    server = await startCluster();
    const a = await start({ identity: 'replica-a' });
    await waitFor('a to lead', () => a.isLeader());
    const b = await start({ identity: 'replica-b' });
    await waitFor('b to be ready', () => b.notReady().length === 0);
    expect(b.isLeader()).toBe(false);
    await createService(server, 'shop', 'orders', [{ name: 'web', port: 80 }]);
    await waitFor('both zones', () => a.zone.size === 1 && b.zone.size === 1);
    expect(digStatus(await dig(b.dns.port, 'orders.shop.mesh', 'A'))).toBe('NOERROR');

    await a.stop();
    await waitFor('b to lead', () => b.isLeader(), 5_000);
    await createService(server, 'shop', 'payments', [{ name: 'web', port: 80 }]);
    await waitFor('the new leader to write', async () =>
      (await shadowsByService(server as ApiServer)).has('shop/payments'),
    );
    await waitFor('b to serve it', () => b.zone.get('shop', 'payments') !== undefined);
    const lease = await call(
      server,
      'GET',
      '/apis/coordination.k8s.io/v1/namespaces/nodemesh/leases/nodemesh-dns-controller',
    );
    expect((lease.body.spec as { holderIdentity: string }).holderIdentity).toBe('replica-b');
  });

  it('serves /healthz, /readyz and /metrics', async () => {
    server = await startCluster();
    const controller = await start({ identity: 'one' });
    await waitFor(
      'leadership and readiness',
      () => controller.isLeader() && controller.notReady().length === 0,
    );
    const base = `http://127.0.0.1:${controller.admin?.port}`;
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
    await createService(server, 'shop', 'db', [{ name: 'pg', port: 5432 }], {
      'nodemesh.io/traffic-type': 'tcp',
    });
    await waitFor('the zone', () => controller.zone.size === 1);
    await waitFor('the allocation metric', async () =>
      (await (await fetch(`${base}/metrics`)).text()).includes(
        'nodemesh_dns_controller_allocated_ports{protocol="tcp"} 1',
      ),
    );
    const text = await (await fetch(`${base}/metrics`)).text();
    for (const line of [
      'nodemesh_dns_controller_is_leader 1',
      'nodemesh_dns_controller_shadow_services 1',
      'nodemesh_dns_controller_port_range_size{protocol="tcp"} 5000',
      'nodemesh_dns_controller_cluster_dns_block_present 1',
      'nodemesh_dns_controller_informer_synced{informer="services"} 1',
      'nodemesh_build_info{version="0.1.0"} 1',
    ]) {
      expect(text).toContain(line);
    }
    expect(text).toMatch(/nodemesh_dns_controller_reconciles_total\{reconciler="shadow-services"\} [1-9]/);
    expect(text).toMatch(/nodemesh_dns_controller_shadow_writes_total\{operation="create",result="ok"\} 1/);
    expect(text).toContain('nodemesh_dns_queries_total');
    expect(text).toContain('process_cpu_seconds_total');
    expect((await fetch(`${base}/nope`)).status).toBe(404);
  });
});
