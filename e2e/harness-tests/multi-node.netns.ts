/**
 * The multi-node harness proven with plain servers. Runs only inside the isolated runner that
 * multi-node.test.ts starts (`unshare --net`); see e2e/README.md, "The multi-node harness".
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  assertIsolatedRunner,
  Cluster,
  type ClusterDns,
  curl,
  dig,
  findLeftovers,
  parseIdentity,
  removeStaleRuns,
  runCommand,
  runQuery,
  setResolver,
  startClusterDns,
  startIdentityServer,
  startStubDns,
  tcpExchange,
  udpExchange,
  waitForLog,
} from '../harness/index.js';

/** Ports the plain servers play: the node-proxy's HTTP entrypoint and a UDP port, a backend's ports. */
const PROXY_HTTP = 5000;
const PROXY_UDP = 15000;
const WEB_HTTP = 8080;
const WEB_UDP = 9053;
const STUB_DNS_PORT = 5353;

/** ClusterIPs: a shadow Service (internalTrafficPolicy Local) and ordinary Services. */
const SHADOW_IP = '10.96.0.20';
const WEB_IP = '10.96.0.30';

const NO_LEFTOVERS = { namespaces: [], links: [], processes: [], files: [] };

/** Everything the run made, for the check after the suite (also written for the outer test to repeat). */
const made = { inodes: [] as number[], pids: [] as number[] };

async function remember(cluster: Cluster): Promise<string[]> {
  const query = cluster.leftoverQuery();
  made.inodes.push(...(query.inodes ?? []));
  made.pids.push(...(query.pids ?? []));
  return cluster.teardown();
}

beforeAll(async () => {
  await assertIsolatedRunner();
  await removeStaleRuns();
});

afterAll(async () => {
  const reportDir = process.env.NMT_REPORT_DIR;
  if (reportDir)
    await writeFile(
      join(reportDir, `made-${process.pid}.json`),
      JSON.stringify({ pid: process.pid, ...made }),
    );
  expect(await findLeftovers(runQuery(process.pid, made.inodes, made.pids))).toEqual(NO_LEFTOVERS);
});

describe('a three-node cluster of network namespaces', () => {
  let cluster: Cluster;
  let dns: ClusterDns;

  const identityFrom = async (podName: string, url: string) => {
    const result = await curl(cluster.pod(podName).ns, url);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    return parseIdentity(result.stdout);
  };

  beforeAll(async () => {
    cluster = await Cluster.create();
    const pods = [
      ['node-a', 'proxy-a'],
      ['node-b', 'proxy-b'],
      ['node-c', 'proxy-c'],
      ['node-a', 'client-a'],
      ['node-b', 'client-b'],
      ['node-c', 'client-c'],
      ['node-b', 'web-b'],
      ['node-c', 'web-c'],
    ] as const;
    for (const [node, name] of pods) await cluster.addPod(node, name);
    await Promise.all([
      ...['proxy-a', 'proxy-b', 'proxy-c'].map((name) =>
        startIdentityServer(cluster, cluster.pod(name), { httpPort: PROXY_HTTP, udpPort: PROXY_UDP }),
      ),
      ...['web-b', 'web-c'].map((name) =>
        startIdentityServer(cluster, cluster.pod(name), { httpPort: WEB_HTTP, udpPort: WEB_UDP }),
      ),
      startStubDns(cluster, cluster.controlPlane.ns, STUB_DNS_PORT, { 'web.shop.mesh': SHADOW_IP }),
    ]);
    dns = await startClusterDns(cluster, cluster.controlPlane, {
      listen: cluster.controlPlane.ip,
      hosts: { 'web.shop.svc.cluster.local': WEB_IP },
      forward: [{ zone: 'mesh', server: cluster.controlPlane.ip, port: STUB_DNS_PORT }],
    });
    const proxies = ['proxy-a', 'proxy-b', 'proxy-c'].map((name) => cluster.pod(name));
    await cluster.kubeProxy.addServiceRule({
      clusterIP: SHADOW_IP,
      port: WEB_HTTP,
      protocol: 'tcp',
      internalTrafficPolicy: 'Local',
      endpoints: proxies.map((p) => ({ ip: p.ip, port: PROXY_HTTP, node: p.node })),
    });
    await cluster.kubeProxy.addServiceRule({
      clusterIP: SHADOW_IP,
      port: WEB_UDP,
      protocol: 'udp',
      internalTrafficPolicy: 'Local',
      endpoints: proxies.map((p) => ({ ip: p.ip, port: PROXY_UDP, node: p.node })),
    });
  });

  afterEach(async (context) => {
    if (cluster && context.task.result?.state === 'fail') {
      process.stderr.write(`${await cluster.logTails()}\n${await cluster.networkState()}\n`);
    }
  });

  afterAll(async () => {
    if (!cluster) return;
    const problems = await remember(cluster);
    expect(problems).toEqual([]);
    expect(await findLeftovers(cluster.leftoverQuery())).toEqual(NO_LEFTOVERS);
  });

  it('routes a pod on node-a to a pod on node-c by IP, keeping the source address', async () => {
    const web = cluster.pod('web-c');
    const answer = await identityFrom('client-a', `http://${web.ip}:${WEB_HTTP}/direct`);
    expect(answer).toEqual({
      pod: 'web-c',
      node: 'node-c',
      client: cluster.pod('client-a').ip,
      path: '/direct',
    });
  });

  it('speaks raw TCP with nc inside a pod', async () => {
    const proxy = cluster.pod('proxy-c');
    const result = await tcpExchange(
      cluster.pod('client-c').ns,
      proxy.ip,
      PROXY_HTTP,
      'GET /raw HTTP/1.0\r\n\r\n',
    );
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(result.stdout).toContain('"path":"/raw"');
  });

  it('reports a server that exits before listening, with the end of its log', async () => {
    await expect(startIdentityServer(cluster, cluster.pod('client-a'), { httpPort: 0 })).rejects.toThrow(
      /identity-client-a exited \(code 2, signal null\) before listening on tcp\/0:\n--http-port must be a port/,
    );
  });

  it('stops a process that ignores SIGTERM with SIGKILL, by its PID', async () => {
    const stubborn = await cluster.start(cluster.pod('client-b'), {
      name: 'stubborn',
      command: process.execPath,
      args: [
        '-e',
        "process.on('SIGTERM', () => console.log('ignored SIGTERM')); setInterval(() => {}, 1000); console.log('ready');",
      ],
    });
    await waitForLog(stubborn, /^ready$/m);
    await stubborn.stop(300);
    expect(stubborn.exited()).toEqual({ code: null, signal: 'SIGKILL' });
    expect(await stubborn.log()).toContain('ignored SIGTERM');
  });

  it('sends a shadow ClusterIP (Local) to the proxy on the caller’s own node, from every node', async () => {
    for (const [client, node] of [
      ['client-a', 'node-a'],
      ['client-b', 'node-b'],
      ['client-c', 'node-c'],
    ] as const) {
      // Five connections each: were the rule not Local, all 15 would land on the own node with odds 1 in 3^15.
      for (let i = 0; i < 5; i += 1) {
        const answer = await identityFrom(client, `http://${SHADOW_IP}:${WEB_HTTP}/`);
        expect(answer.node).toBe(node);
        // The proxy must see the caller's own address: that is how it knows who calls.
        expect(answer.client).toBe(cluster.pod(client).ip);
      }
    }
  });

  it('lets a proxy reach its own shadow ClusterIP (hairpin, masqueraded)', async () => {
    const answer = await identityFrom('proxy-a', `http://${SHADOW_IP}:${WEB_HTTP}/`);
    expect(answer.pod).toBe('proxy-a');
  });

  it('sends an ordinary ClusterIP to a backend on another node, and replaces and removes the rule', async () => {
    const rule = {
      clusterIP: WEB_IP,
      port: 80,
      protocol: 'tcp' as const,
      endpoints: [{ ip: cluster.pod('web-c').ip, port: WEB_HTTP, node: 'node-c' }],
    };
    await cluster.kubeProxy.addServiceRule(rule);
    expect(await identityFrom('client-a', `http://${WEB_IP}/`)).toMatchObject({
      pod: 'web-c',
      node: 'node-c',
    });

    await cluster.kubeProxy.addServiceRule({
      ...rule,
      endpoints: [{ ip: cluster.pod('web-b').ip, port: WEB_HTTP, node: 'node-b' }],
    });
    expect(await identityFrom('client-a', `http://${WEB_IP}/`)).toMatchObject({
      pod: 'web-b',
      node: 'node-b',
    });

    // No endpoints: rejected at once, as kube-proxy does (curl exit 7, "couldn't connect").
    await cluster.kubeProxy.addServiceRule({ ...rule, endpoints: [] });
    const refused = await curl(cluster.pod('client-a').ns, `http://${WEB_IP}/`, { timeoutSec: 2 });
    expect(refused.code).toBe(7);

    // No Service at all: the node drops it, so the client times out (curl exit 28).
    await cluster.kubeProxy.removeServiceRule(WEB_IP, 80, 'tcp');
    const gone = await curl(cluster.pod('client-a').ns, `http://${WEB_IP}/`, { timeoutSec: 1 });
    expect(gone.code).toBe(28);
  });

  it('applies the rules to the node’s own connections too (OUTPUT), for host-network processes', async () => {
    const result = await curl(cluster.node('node-b').ns, `http://${SHADOW_IP}:${WEB_HTTP}/from-node`);
    expect(result.code, result.stderr).toBe(0);
    expect(parseIdentity(result.stdout)).toMatchObject({
      pod: 'proxy-b',
      node: 'node-b',
      path: '/from-node',
    });
  });

  it('spreads an ordinary ClusterIP over endpoints on several nodes', async () => {
    await cluster.kubeProxy.addServiceRule({
      clusterIP: WEB_IP,
      port: 80,
      protocol: 'tcp',
      endpoints: ['web-b', 'web-c'].map((name) => ({
        ip: cluster.pod(name).ip,
        port: WEB_HTTP,
        node: cluster.pod(name).node,
      })),
    });
    const seen = new Set<string>();
    // Each endpoint is picked with probability 1/2 per connection: 24 tries miss one with odds of 2 in 2^24.
    for (let i = 0; i < 24 && seen.size < 2; i += 1)
      seen.add((await identityFrom('client-a', `http://${WEB_IP}/`)).pod);
    expect([...seen].sort()).toEqual(['web-b', 'web-c']);
  });

  it('carries UDP through DNAT: an ordinary ClusterIP to another node, a shadow one to the own node', async () => {
    await cluster.kubeProxy.addServiceRule({
      clusterIP: WEB_IP,
      port: 53,
      protocol: 'udp',
      endpoints: [{ ip: cluster.pod('web-c').ip, port: WEB_UDP, node: 'node-c' }],
    });
    const client = cluster.pod('client-a');
    const ordinary = await udpExchange(client.ns, WEB_IP, 53, 'ping');
    expect(ordinary.stdout.trim()).toBe(`web-c@node-c from ${client.ip}: ping`);

    const other = cluster.pod('client-b');
    const shadow = await udpExchange(other.ns, SHADOW_IP, WEB_UDP, 'hello');
    expect(shadow.stdout.trim()).toBe(`proxy-b@node-b from ${other.ip}: hello`);
  });

  it('answers cluster names from dnsmasq’s hosts file and forwards the mesh zone to the stub server', async () => {
    const ns = cluster.pod('client-c').ns;
    expect((await dig(ns, dns.ip, 'web.shop.svc.cluster.local')).stdout.trim()).toBe(WEB_IP);
    expect((await dig(ns, dns.ip, 'web.shop.mesh')).stdout.trim()).toBe(SHADOW_IP);
    const missing = await dig(ns, dns.ip, 'nothing.shop.mesh', { short: false });
    expect(missing.stdout).toContain('status: NXDOMAIN');
    const local = await dig(ns, dns.ip, 'nothing.svc.cluster.local', { short: false });
    expect(local.stdout).toContain('status: NXDOMAIN');
    expect(await dns.process.log()).toMatch(/forwarded web\.shop\.mesh to 10\.250\.0\.10/);
  });

  it('resolves a mesh name through the pod’s resolv.conf and lands on its own node’s proxy', async () => {
    const client = cluster.pod('client-b');
    await setResolver(client.ns, dns.ip);
    const answer = await identityFrom('client-b', `http://web.shop.mesh:${WEB_HTTP}/by-name`);
    expect(answer).toEqual({ pod: 'proxy-b', node: 'node-b', client: client.ip, path: '/by-name' });
  });
});

describe('cleanup', () => {
  it('removes every namespace, link and process even when a step fails', async () => {
    const cluster = await Cluster.create({ nodes: ['solo'] });
    const failing = async () => {
      try {
        const pod = await cluster.addPod('solo', 'srv');
        await startIdentityServer(cluster, pod, { httpPort: WEB_HTTP });
        await cluster.addPod('solo', 'Not A Name');
      } finally {
        expect(await remember(cluster)).toEqual([]);
      }
    };
    await expect(failing()).rejects.toThrow(/pod name must match/);
    expect(cluster.processes).toHaveLength(1);
    expect(cluster.processes[0]?.exited()).toBeDefined();
    expect(await findLeftovers(cluster.leftoverQuery())).toEqual(NO_LEFTOVERS);
  });

  it('removes what a dead run left behind, and nothing of a live one', async () => {
    const live = await Cluster.create({ nodes: ['live'] });
    try {
      // A "runner" that makes a namespace, leaves a process inside and dies before any teardown.
      const script = [
        'ns=nmt$$-stale',
        'ip netns add $ns || exit 1',
        '(ip netns exec $ns sleep 30 </dev/null >/dev/null 2>&1 &)',
        'sleep 0.3',
        'echo $$',
      ].join('; ');
      const dead = await runCommand('sh', ['-c', script]);
      const deadPid = Number(dead.stdout.trim());
      const staleQuery = runQuery(deadPid);
      expect((await findLeftovers(staleQuery)).namespaces).toEqual([`nmt${deadPid}-stale`]);

      const removed = await removeStaleRuns();
      expect(removed).toContain(`namespace nmt${deadPid}-stale`);
      expect(await findLeftovers(staleQuery)).toEqual(NO_LEFTOVERS);
      expect((await findLeftovers(live.leftoverQuery())).namespaces.length).toBeGreaterThan(0);
    } finally {
      await remember(live);
    }
  });
});
