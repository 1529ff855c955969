import { existsSync } from 'node:fs';
import type { ApiServer } from '@nodemesh/apiserver';
import { kubeLeaseClient, type LeaseClient, serverConnection } from '@nodemesh/kube-runtime';
import { shadowLabels, shadowServiceName } from '@nodemesh/smi-types';
import { afterEach, describe, expect, it } from 'vitest';
import type { DnsController } from '../../src/index.js';
import {
  COREFILE,
  call,
  corefile,
  createService,
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

async function eventsOf(namespace: string, reason: string) {
  const events = await call(server as ApiServer, 'GET', `/api/v1/namespaces/${namespace}/events`);
  return ((events.body.items ?? []) as Record<string, unknown>[]).filter((e) => e.reason === reason);
}

describe.skipIf(!existsSync('/usr/bin/dig'))('shadow reconcile details', () => {
  it('reports port exhaustion on the Service that does not fit, alone', async () => {
    server = await startCluster();
    await start({ identity: 'one', tcpPorts: { first: 10000, last: 10000 } });
    await createService(server, 'shop', 'first', [{ name: 'a', port: 1 }], {
      'nodemesh.io/traffic-type': 'tcp',
    });
    await waitFor('the first shadow', async () =>
      (await shadowsByService(server as ApiServer)).has('shop/first'),
    );
    await createService(server, 'shop', 'second', [{ name: 'a', port: 1 }], {
      'nodemesh.io/traffic-type': 'tcp',
    });
    await createService(server, 'shop', 'web', [{ name: 'http', port: 80 }]);
    await waitFor('the http shadow', async () =>
      (await shadowsByService(server as ApiServer)).has('shop/web'),
    );
    await waitFor('the Event', async () => (await eventsOf('shop', 'PortRangeExhausted')).length === 1);
    const [event] = await eventsOf('shop', 'PortRangeExhausted');
    expect(event?.involvedObject).toMatchObject({ name: 'second' });
    expect(event?.message).toBe('needs 1 more TCP port but 0 are free in 10000-10000');
    const shadows = await shadowsByService(server);
    expect(shadows.has('shop/second')).toBe(false);
    expect(targetPorts(shadows.get('shop/first'))).toEqual([10000]);
  });

  it('removes orphaned shadows found at start', async () => {
    server = await startCluster();
    await call(server, 'POST', '/api/v1/namespaces/nodemesh/services', {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: {
        name: shadowServiceName('shop', 'gone'),
        labels: shadowLabels({ namespace: 'shop', name: 'gone' }),
        annotations: { 'nodemesh.io/traffic-type': 'http' },
      },
      spec: { ports: [{ name: 'web', port: 80, targetPort: 5000 }] },
    });
    const controller = await start({ identity: 'one' });
    await waitFor('the orphan to go', async () => (await shadowsByService(server as ApiServer)).size === 0);
    expect(controller.zone.get('shop', 'gone')).toBeUndefined();
  });

  it('bumps the count of a repeated Event with a PATCH', async () => {
    server = await startCluster();
    await start({ identity: 'one' });
    const bad = { 'nodemesh.io/timeout': 'soon' };
    await createService(server, 'shop', 'web', [{ name: 'http', port: 80 }], bad);
    await waitFor('the Event', async () => (await eventsOf('shop', 'InvalidAnnotations')).length === 1);
    const setAnnotations = async (annotations: Record<string, string>) => {
      const current = await call(server as ApiServer, 'GET', '/api/v1/namespaces/shop/services/web');
      (current.body.metadata as Record<string, unknown>).annotations = annotations;
      await call(server as ApiServer, 'PUT', '/api/v1/namespaces/shop/services/web', current.body);
    };
    await setAnnotations({});
    await waitFor('the shadow', async () => (await shadowsByService(server as ApiServer)).has('shop/web'));
    await setAnnotations(bad);
    await waitFor('count 2', async () => (await eventsOf('shop', 'InvalidAnnotations'))[0]?.count === 2);
    expect(await eventsOf('shop', 'InvalidAnnotations')).toHaveLength(1);
  });

  it('retries a sync that failed on API errors', async () => {
    server = await startCluster();
    const controller = await start({ identity: 'one' });
    await waitFor('leadership and sync', () => controller.isLeader() && controller.notReady().length === 0);
    await createService(server, 'shop', 'web', [{ name: 'http', port: 80 }]);
    // The next requests fail, whoever sends them (the controller's write, its watches, the lease, this test).
    server.faults.failNext(3, 500);
    await waitFor('the shadow despite the failures', async () =>
      (await shadowsByService(server as ApiServer).catch(() => new Map())).has('shop/web'),
    );
  });

  it('hands over when the leader cannot reach the lease: it stops writing, the standby takes over', async () => {
    server = await startCluster();
    const real = kubeLeaseClient(serverConnection(server.url));
    let cut = false;
    const cutOff = <T>(call: () => Promise<T>) => (cut ? Promise.reject(new Error('partitioned')) : call());
    const flaky: LeaseClient = {
      get: (ns, name) => cutOff(() => real.get(ns, name)),
      create: (ns, name, record) => cutOff(() => real.create(ns, name, record)),
      replace: (ns, name, record) => cutOff(() => real.replace(ns, name, record)),
    };
    const a = await start({ identity: 'replica-a', leaseClient: flaky });
    await waitFor('a to lead', () => a.isLeader());
    const b = await start({ identity: 'replica-b' });
    await waitFor('b to be ready', () => b.notReady().length === 0);
    cut = true;
    await waitFor('a to step down', () => !a.isLeader(), 5_000);
    await waitFor('b to lead', () => b.isLeader(), 5_000);
    await createService(server, 'shop', 'after', [{ name: 'http', port: 80 }]);
    await waitFor('b to write', async () => (await shadowsByService(server as ApiServer)).has('shop/after'));
    expect(a.isLeader()).toBe(false);
  });

  it('leaves the cluster DNS alone with --cluster-dns none', async () => {
    server = await startCluster();
    const controller = await start({ identity: 'one', clusterDns: 'none' });
    await createService(server, 'shop', 'web', [{ name: 'http', port: 80 }]);
    await waitFor('the shadow', async () => (await shadowsByService(server as ApiServer)).has('shop/web'));
    expect(await corefile(server)).toBe(COREFILE);
    expect(await controller.registry.metrics()).not.toContain('informer="configmap-coredns"');
  });

  it('uses coredns-custom when it exists, leaving the managed Corefile alone', async () => {
    server = await startCluster();
    await call(server, 'POST', '/api/v1/namespaces/kube-system/configmaps', {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'coredns-custom' },
      data: { 'other.server': 'example.org:53 {\n    forward . 10.0.0.1\n}\n' },
    });
    await start({ identity: 'one' });
    const custom = async () =>
      ((await call(server as ApiServer, 'GET', '/api/v1/namespaces/kube-system/configmaps/coredns-custom'))
        .body.data ?? {}) as Record<string, string>;
    await waitFor('the nodemesh.server entry', async () => (await custom())['nodemesh.server'] !== undefined);
    expect((await custom())['nodemesh.server']).toMatch(/^mesh:53 \{/);
    expect((await custom())['other.server']).toContain('example.org');
    expect(await corefile(server)).toBe(COREFILE);
  });
});
