/**
 * Issue 8: every API call the dns-controller and the node-proxy really make is allowed by the RBAC in
 * deploy/base, and every (verb, group, resource) that RBAC grants is used by some call. Each component runs
 * against its own in-memory API server whose audit hook records the calls; a scenario drives every code path
 * that talks to the API server, and waits (bounded) for each effect.
 */

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ApiServer, type AuditCall, startApiServer } from '@nodemesh/apiserver';
import {
  cleanupClusterDns,
  DEFAULT_CONTROLLER_CONFIG,
  DEFAULT_IDENTITY_SETTINGS,
  type DnsController,
  generateCa,
  kubeApi,
  prepareClusterDns,
  removeAllShadows,
  removeAllStrictPolicies,
  startDnsController,
} from '@nodemesh/dns-controller';
import { serverConnection, silentLogger } from '@nodemesh/kube-runtime';
import { IssuerClient, newWorkloadKey, type RunningNodeProxy, startNodeProxy } from '@nodemesh/node-proxy';
import {
  ANNOTATION_MTLS,
  DEFAULT_ISSUER_SECRET,
  IDENTITY_TOKEN_AUDIENCE,
  issuerServerName,
  SHADOW_ANNOTATION_SERVICE_ACCOUNTS,
  TRUST_BUNDLE_CONFIG_MAP,
} from '@nodemesh/smi-types';
import { afterEach, describe, expect, it } from 'vitest';
import { DEPLOY_DIR, expandKustomization } from './manifests.js';
import {
  type BoundRule,
  callUsesGrant,
  describeCall,
  grantsOf,
  ruleAllows,
  rulesBoundTo,
} from './rbac-rules.js';
import { TEST_USER_AGENT, TestApi, waitFor } from './test-api.js';

const objects = expandKustomization(DEPLOY_DIR, { withoutCrds: true });
const MESH = 'nodemesh';

const COREFILE = '.:53 {\n    errors\n    forward . /etc/resolv.conf\n    cache 30\n}\n';

const DNS = 'nodemesh-dns-controller';
const PROXY = 'nodemesh-node-proxy';

/**
 * Grants the components never use, listed so the over-grant is visible rather than hidden: keyed
 * `<serviceaccount>: <verb> <group>/<resource> (<binding>)`, with why. An entry a recorded call starts to use, or
 * that is no longer granted, fails the test, so the list only shrinks.
 */
const UNUSED_GRANTS: Record<string, string> = {};

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => {});
});

/** An API server recording the calls of everyone but this test. */
async function recordingServer(): Promise<{ server: ApiServer; calls: AuditCall[]; api: TestApi }> {
  const calls: AuditCall[] = [];
  const server = await startApiServer({
    onRequest: (call) => {
      if (call.userAgent !== TEST_USER_AGENT) calls.push(call);
    },
  });
  cleanups.push(() => server.stop());
  return { server, calls, api: new TestApi(server.url) };
}

/** (a) each call is allowed, (b) each grant is used or listed in UNEXERCISED. Messages name the call/grant. */
function checkAgainstRbac(serviceAccount: string, calls: readonly AuditCall[]): void {
  const rules: BoundRule[] = rulesBoundTo(objects, MESH, serviceAccount);
  expect(rules.length, `rules bound to ${serviceAccount}`).toBeGreaterThan(0);
  const distinct = [...new Map(calls.map((c) => [describeCall(c), c])).values()];
  const denied = distinct.filter((call) => !rules.some((rule) => ruleAllows(rule, call))).map(describeCall);
  expect(denied, `calls of ${serviceAccount} that its RBAC denies`).toEqual([]);
  const grants = grantsOf(rules).map((grant) => ({
    key: `${serviceAccount}: ${grant.label}`,
    used: distinct.some((call) => callUsesGrant(grant, call)),
  }));
  const unused = grants.filter((g) => !g.used && UNUSED_GRANTS[g.key] === undefined).map((g) => g.key);
  expect(unused, 'grants no recorded call uses (and not in UNUSED_GRANTS)').toEqual([]);
  const listed = Object.keys(UNUSED_GRANTS).filter((key) => key.startsWith(`${serviceAccount}: `));
  const stale = listed.filter((key) => !grants.some((g) => g.key === key && !g.used));
  expect(stale, 'UNUSED_GRANTS entries that are used now, or no longer granted: remove them').toEqual([]);
}

const hasCall = (calls: readonly AuditCall[], verb: string, resource: string) =>
  calls.some((c) => c.verb === verb && c.resource === resource);

/** A pod-bound token for the identity issuer, written where a projected volume would put it. */
async function tokenFile(api: TestApi, pod: string): Promise<string> {
  const answer = await api.create(`/api/v1/namespaces/${MESH}/serviceaccounts/${PROXY}/token`, {
    spec: { audiences: [IDENTITY_TOKEN_AUDIENCE], boundObjectRef: { kind: 'Pod', name: pod } },
  });
  const dir = await mkdtemp(join(tmpdir(), 'nodemesh-rbac-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, 'token');
  await writeFile(file, (answer.status as { token: string }).token);
  return file;
}

/** The Secrets a component touched: only the issuer's may be read; creating (which reads nothing) is allowed. */
const secretReads = (calls: readonly AuditCall[]) =>
  calls
    .filter((c) => c.resource === 'secrets' && c.verb !== 'create')
    .map((c) => `${c.verb} ${c.namespace}/${c.name}`);

describe('RBAC against the recorded API calls', () => {
  it('dns-controller: every call allowed, every grant used', async () => {
    const { server, calls, api } = await recordingServer();
    await api.namespace(MESH);
    await api.namespace('shop');
    await api.create(`/api/v1/namespaces/${MESH}/services`, {
      metadata: { name: 'nodemesh-dns' },
      spec: {
        selector: { app: 'dns' },
        ports: [{ name: 'dns', port: 53, targetPort: 5353, protocol: 'UDP' }],
      },
    });
    await api.create('/api/v1/namespaces/kube-system/configmaps', {
      metadata: { name: 'coredns' },
      data: { Corefile: COREFILE },
    });
    await api.pod('shop', 'orders-pod', 'orders', 'node-a', 'orders');
    await api.installGatewayCrds();
    await api.create(`/api/v1/namespaces/${MESH}/serviceaccounts`, { metadata: { name: PROXY } });
    await api.pod(MESH, 'proxy-a', 'node-proxy', 'node-a', PROXY);

    const controller: DnsController = await startDnsController({
      kubeConfig: serverConnection(server.url),
      logger: silentLogger,
      identity: 'rbac-audit',
      dnsHost: '127.0.0.1',
      dnsPort: 0,
      adminHost: '127.0.0.1',
      adminPort: 0,
      syncMinIntervalMs: 50,
      resyncIntervalMs: 200,
      leaseDurationMs: 1_000,
      leaseRenewDeadlineMs: 800,
      leaseRetryPeriodMs: 100,
      crdProbeIntervalMs: 100,
      identityRole: true,
      identitySettings: { ...DEFAULT_IDENTITY_SETTINGS, issuerHost: '127.0.0.1', issuerPort: 0 },
    });
    cleanups.push(() => controller.stop());

    // The identity role: the issuer Secret created, the trust bundle published, a certificate issued (a
    // TokenReview), then a new issuer hot-reloaded and the bundle updated.
    const bundle = async () =>
      (
        await api.call(
          'GET',
          `/api/v1/namespaces/${MESH}/configmaps?fieldSelector=metadata.name%3D${TRUST_BUNDLE_CONFIG_MAP}`,
        )
      ).items as { data: Record<string, string> }[];
    await waitFor('the trust bundle', async () => (await bundle()).length === 1);
    const client = new IssuerClient({
      url: `https://127.0.0.1:${controller.issuer?.port}`,
      serverName: issuerServerName(MESH),
      tokenFile: await tokenFile(api, 'proxy-a'),
    });
    const issued = await client.issue(
      { namespace: 'shop', serviceAccount: 'orders', csr: (await newWorkloadKey()).csrPem },
      (await bundle())[0]?.data['ca.crt'] ?? '',
    );
    expect(issued.kind).toBe('issued');
    const next = await generateCa('cluster.local', new Date());
    await api.call('PUT', `/api/v1/namespaces/${MESH}/secrets/${DEFAULT_ISSUER_SECRET}`, {
      metadata: { name: DEFAULT_ISSUER_SECRET },
      stringData: next.secretData,
    });
    await waitFor(
      'the new root published',
      async () => (await bundle())[0]?.data['ca.crt'] === next.secretData['ca.crt'],
    );

    type Shadow = { metadata: { resourceVersion: string; annotations?: Record<string, string> } };
    const shadowOf = async (name: string) =>
      (
        (
          await api.call(
            'GET',
            `/api/v1/namespaces/${MESH}/services?labelSelector=nodemesh.io%2Fshadow-of-name%3D${name}`,
          )
        ).items as Shadow[]
      )[0];
    await api.service('shop', 'orders');
    await waitFor('the shadow of shop/orders', async () => (await shadowOf('orders')) !== undefined);
    await waitFor('the ServiceAccounts of its pods on the shadow', async () =>
      ((await shadowOf('orders'))?.metadata.annotations?.[SHADOW_ANNOTATION_SERVICE_ACCOUNTS] ?? '').includes(
        'orders',
      ),
    );
    const before = (await shadowOf('orders'))?.metadata.resourceVersion;
    await api.mergePatch('/api/v1/namespaces/shop/services/orders', {
      metadata: { annotations: { 'nodemesh.io/traffic-type': 'tcp' } },
    });
    await waitFor(
      'the shadow updated',
      async () => (await shadowOf('orders'))?.metadata.resourceVersion !== before,
    );

    // A bad annotation gets an Event; fixed and broken again, the same Event is bumped (a patch).
    const setTrafficType = (value: string | null) =>
      api.mergePatch('/api/v1/namespaces/shop/services/bad', {
        metadata: { annotations: { 'nodemesh.io/traffic-type': value } },
      });
    await api.service('shop', 'bad', { 'nodemesh.io/traffic-type': 'carrier-pigeon' });
    await waitFor('an Event on shop/bad', async () => (await api.events('shop', 'bad')).length > 0);
    await setTrafficType(null);
    await waitFor('the shadow of shop/bad', async () => (await shadowOf('bad')) !== undefined);
    await setTrafficType('carrier-pigeon');
    await waitFor('the Event bumped', async () =>
      (await api.events('shop', 'bad')).some((e) => e.count >= 2),
    );

    // The leader writes status.parents on every mesh route kind (one each, attached to shop/orders).
    await api.service('shop', 'db', { 'nodemesh.io/traffic-type': 'tcp' });
    const routes = [
      [
        'v1',
        'httproutes',
        'HTTPRoute',
        'orders',
        { rules: [{ backendRefs: [{ name: 'orders', port: 80 }] }] },
      ],
      [
        'v1',
        'grpcroutes',
        'GRPCRoute',
        'orders',
        { rules: [{ backendRefs: [{ name: 'orders', port: 80 }] }] },
      ],
      ['v1alpha2', 'tcproutes', 'TCPRoute', 'db', { rules: [{ backendRefs: [{ name: 'db', port: 80 }] }] }],
    ] as const;
    for (const [version, plural, kind, parent, spec] of routes) {
      await api.create(`/apis/gateway.networking.k8s.io/${version}/namespaces/shop/${plural}`, {
        apiVersion: `gateway.networking.k8s.io/${version}`,
        kind,
        metadata: { name: 'r' },
        spec: { parentRefs: [{ group: '', kind: 'Service', name: parent }], ...spec },
      });
    }
    await api.create('/apis/gateway.networking.k8s.io/v1beta1/namespaces/shop/referencegrants', {
      metadata: { name: 'g' },
      spec: {
        from: [{ group: 'gateway.networking.k8s.io', kind: 'HTTPRoute', namespace: 'web' }],
        to: [{ group: '', kind: 'Service' }],
      },
    });
    for (const [version, plural] of routes) {
      await waitFor(`status on the ${plural}`, async () => {
        const route = await api.call(
          'GET',
          `/apis/gateway.networking.k8s.io/${version}/namespaces/shop/${plural}/r`,
        );
        return JSON.stringify(route.status ?? {}).includes('"Accepted"');
      });
    }

    // mTLS strict mode (docs/mtls.md): the Namespace annotation read (namespaces list/watch), a NetworkPolicy
    // created beside shop/orders, updated when its selector changes, deleted when the mode is relaxed.
    const policies = async () =>
      (await api.call('GET', '/apis/networking.k8s.io/v1/namespaces/shop/networkpolicies')).items as {
        metadata: { name: string };
        spec: { podSelector: { matchLabels: Record<string, string> } };
      }[];
    const policy = async () => (await policies()).find((p) => p.metadata.name === 'nodemesh-strict-orders');
    await api.mergePatch('/api/v1/namespaces/shop', {
      metadata: { annotations: { [ANNOTATION_MTLS]: 'strict' } },
    });
    await waitFor('the strict NetworkPolicy', async () => (await policy()) !== undefined);
    await api.mergePatch('/api/v1/namespaces/shop/services/orders', {
      spec: { selector: { app: 'orders-v2' } },
    });
    await waitFor(
      'the NetworkPolicy updated',
      async () => (await policy())?.spec.podSelector.matchLabels.app === 'orders-v2',
    );
    await api.mergePatch('/api/v1/namespaces/shop', {
      metadata: { annotations: { [ANNOTATION_MTLS]: 'permissive' } },
    });
    // Every strict Service of shop had one (orders, db): all go once the mode is relaxed.
    await waitFor('the NetworkPolicies deleted', async () =>
      (await policies()).every((p) => !p.metadata.name.startsWith('nodemesh-strict-')),
    );

    await waitFor('the mesh forward block in the Corefile', async () => {
      const cm = await api.call('GET', '/api/v1/namespaces/kube-system/configmaps/coredns');
      return String((cm.data as Record<string, unknown> | undefined)?.Corefile).includes('mesh');
    });
    await api.call('DELETE', '/api/v1/namespaces/shop/services/orders');
    await waitFor('the shadow deleted', async () => (await shadowOf('orders')) === undefined);
    await waitFor('the Lease renewed', () => hasCall(calls, 'update', 'leases'));

    await controller.stop();

    // The binary's other commands run as the same ServiceAccount: `prepare`, and `cleanup` (the uninstall Job).
    const kube = kubeApi(serverConnection(server.url));
    const prepared = await prepareClusterDns(kube, {
      ...DEFAULT_CONTROLLER_CONFIG,
      mode: 'auto',
      domain: DEFAULT_CONTROLLER_CONFIG.meshDomain,
    });
    expect(prepared.problems).toEqual([]);
    expect((await cleanupClusterDns(kube, DEFAULT_CONTROLLER_CONFIG.meshDomain)).problems).toEqual([]);
    expect((await removeAllShadows(kube, MESH)).length).toBeGreaterThan(0);
    expect(await removeAllStrictPolicies(kube)).toEqual([]);

    checkAgainstRbac(DNS, calls);
    expect(new Set(secretReads(calls)), 'the only Secret read is the issuer’s').toEqual(
      new Set([`list ${MESH}/${DEFAULT_ISSUER_SECRET}`, `watch ${MESH}/${DEFAULT_ISSUER_SECRET}`]),
    );
  });

  it('node-proxy: every call allowed, every grant used', async () => {
    const { server, calls, api } = await recordingServer();
    await api.namespace(MESH);
    await api.namespace('shop');
    await api.installSmiCrds();
    await api.installGatewayCrds();
    const orders = await api.service('shop', 'orders');
    await api.service('shop', 'orders-v2');
    await api.pod('shop', 'orders-pod', 'orders', 'node-a', 'orders');
    await api.shadow(orders, MESH, { [SHADOW_ANNOTATION_SERVICE_ACCOUNTS]: 'orders' });

    await api.create(`/api/v1/namespaces/${MESH}/serviceaccounts`, { metadata: { name: PROXY } });
    await api.pod(MESH, 'proxy-a', 'node-proxy', 'node-a', PROXY);
    const ca = await generateCa('cluster.local', new Date());
    await api.create(`/api/v1/namespaces/${MESH}/configmaps`, {
      metadata: { name: TRUST_BUNDLE_CONFIG_MAP },
      data: { 'ca.crt': ca.secretData['ca.crt'] },
    });
    const running: RunningNodeProxy = await startNodeProxy({
      kubeConfig: serverConnection(server.url),
      logger: silentLogger,
      nodeName: 'node-a',
      listenHost: '127.0.0.1',
      adminHost: '127.0.0.1',
      adminPort: 0,
      proxy: { bindPort: () => 0, drainMs: 100 },
      syncMinIntervalMs: 20,
      resyncIntervalMs: 200,
      informerBackoff: () => 50,
      crdProbeIntervalMs: 100,
      // Identity on, with no issuer to answer: the trust bundle is watched, requests fail (and say so).
      identity: {
        issuerUrl: 'https://127.0.0.1:9',
        tokenFile: await tokenFile(api, 'proxy-a'),
        trustDomain: 'cluster.local',
        retryInitialMs: 50,
        retryMaxMs: 100,
      },
    });
    cleanups.push(() => running.stop());
    await running.synced;
    await waitFor('the trust bundle read', () => running.identities?.trustBundle !== undefined);
    await waitFor('the orders Service routed', () => running.proxy.snapshot.services.has('shop/orders'));

    const smi = [
      [
        'specs.smi-spec.io/v1alpha4',
        'httproutegroups',
        'HTTPRouteGroup',
        { matches: [{ name: 'all', pathRegex: '.*' }] },
      ],
      ['specs.smi-spec.io/v1alpha4', 'tcproutes', 'TCPRoute', { matches: { ports: [80] } }],
      ['specs.smi-spec.io/v1alpha4', 'udproutes', 'UDPRoute', { matches: { ports: [53] } }],
      [
        'access.smi-spec.io/v1alpha3',
        'traffictargets',
        'TrafficTarget',
        {
          destination: { kind: 'ServiceAccount', name: 'orders', namespace: 'shop' },
          sources: [{ kind: 'ServiceAccount', name: 'web', namespace: 'shop' }],
          rules: [{ kind: 'TCPRoute', name: 'r' }],
        },
      ],
    ] as const;
    for (const [apiVersion, plural, kind, spec] of smi) {
      await api.create(`/apis/${apiVersion}/namespaces/shop/${plural}`, {
        apiVersion,
        kind,
        metadata: { name: 'r' },
        spec,
      });
    }

    // A good TrafficSplit, then a bad one (an Event), then another with the same problem (the Event bumped).
    await api.applySplit('shop', 'orders-split', 'orders', [['orders-v2', 1]]);
    await waitFor(
      'the split applied',
      () => running.proxy.snapshot.http.get(5000)?.hosts.get('orders.shop.mesh')?.split !== undefined,
    );
    const duplicated = (weight: number): [string, number][] => [
      ['orders-v2', weight],
      ['orders-v2', weight],
    ];
    await api.applySplit('shop', 'orders-split', 'orders', duplicated(1));
    await waitFor(
      'an Event on the TrafficSplit',
      async () => (await api.events('shop', 'orders-split')).length > 0,
    );
    await api.applySplit('shop', 'orders-split', 'orders', duplicated(2));
    await waitFor('the Event bumped', async () =>
      (await api.events('shop', 'orders-split')).some((e) => e.count >= 2),
    );

    await running.stop();
    checkAgainstRbac(PROXY, calls);
    expect(secretReads(calls), 'the node-proxy reads no Secret').toEqual([]);
  });
});
