/**
 * The harness playing the CNI for NetworkPolicy (e2e/harness/network-policy-rules.ts), proven with plain
 * servers: the policy the dns-controller writes for a strict Service refuses a pod dialling a backend's pod
 * IP and admits the node-proxies (host-network pods: their node's address from another node, the node
 * itself on their own). Runs only inside the isolated runner that multi-node.test.ts starts.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  assertIsolatedRunner,
  Cluster,
  curl,
  findLeftovers,
  NetworkPolicyEnforcer,
  type NodePolicyInput,
  type PolicyPod,
  parseIdentity,
  parseNetworkPolicy,
  removeStaleRuns,
  runIn,
  runQuery,
  startIdentityServer,
} from '../harness/index.js';

const WEB_HTTP = 8080;
const NO_LEFTOVERS = { namespaces: [], links: [], processes: [], files: [] };
const PROXY_LABELS = { 'app.kubernetes.io/component': 'node-proxy' };
const made = { inodes: [] as number[], pids: [] as number[] };

const STRICT_POLICY = {
  apiVersion: 'networking.k8s.io/v1',
  kind: 'NetworkPolicy',
  metadata: { namespace: 'shop', name: 'web-mtls-strict' },
  spec: {
    podSelector: { matchLabels: { app: 'web' } },
    policyTypes: ['Ingress'],
    ingress: [
      {
        from: [
          {
            namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'nodemesh' } },
            podSelector: { matchLabels: PROXY_LABELS },
          },
        ],
      },
    ],
  },
};

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

describe('NetworkPolicy enforced by the node namespaces’ iptables', () => {
  let cluster: Cluster;
  let enforcer: NetworkPolicyEnforcer;
  let pods: PolicyPod[];
  const webUrl = () => `http://${cluster.pod('web').ip}:${WEB_HTTP}/direct`;

  /** curl from a namespace; the identity's `client`, or undefined when nothing answered within 2 s. */
  const callWeb = async (ns: string) => {
    const result = await curl(ns, webUrl(), { timeoutSec: 2 });
    return result.code === 0 ? parseIdentity(result.stdout).client : undefined;
  };

  const apply = async (policies: unknown[]) => {
    const input: NodePolicyInput = {
      policies: policies.flatMap((p) => parseNetworkPolicy(p).policy ?? []),
      pods,
    };
    await enforcer.replace(input);
  };

  beforeAll(async () => {
    cluster = await Cluster.create();
    const web = await cluster.addPod('node-c', 'web');
    const clientA = await cluster.addPod('node-a', 'client-a');
    const clientC = await cluster.addPod('node-c', 'client-c');
    await startIdentityServer(cluster, web, { httpPort: WEB_HTTP });
    enforcer = new NetworkPolicyEnforcer(cluster.nodes);
    pods = [
      {
        namespace: 'shop',
        name: 'web',
        node: web.node,
        ip: web.ip,
        labels: { app: 'web' },
        hostNetwork: false,
      },
      ...[clientA, clientC].map((p) => ({
        namespace: 'shop',
        name: p.name,
        node: p.node,
        ip: p.ip,
        labels: { app: 'client' },
        hostNetwork: false,
      })),
      ...cluster.nodes.map((n) => ({
        namespace: 'nodemesh',
        name: `node-proxy-${n.name}`,
        node: n.name,
        ip: n.ip,
        labels: PROXY_LABELS,
        hostNetwork: true,
      })),
    ];
  });

  afterEach(async (context) => {
    if (cluster && context.task.result?.state === 'fail') {
      const mangle = await runIn(cluster.node('node-c').ns, 'iptables-save', ['-c', '-t', 'mangle']);
      process.stderr.write(
        `${await cluster.logTails()}\n${await cluster.networkState()}\n${mangle.stdout}\n`,
      );
    }
  });

  afterAll(async () => {
    if (!cluster) return;
    const query = cluster.leftoverQuery();
    made.inodes.push(...(query.inodes ?? []));
    made.pids.push(...(query.pids ?? []));
    expect(await cluster.teardown()).toEqual([]);
    expect(await findLeftovers(query)).toEqual(NO_LEFTOVERS);
  });

  it('serves a pod dialling the backend’s pod IP while no policy selects it', async () => {
    await apply([]);
    expect(await callWeb(cluster.pod('client-a').ns)).toBe(cluster.pod('client-a').ip);
    expect(await callWeb(cluster.pod('client-c').ns)).toBe(cluster.pod('client-c').ip);
  });

  it('refuses pods on any node once the strict policy selects the backend, and admits the node-proxies', async () => {
    await apply([STRICT_POLICY]);
    // A pod on another node (routed through node-c's FORWARD) and one on the same node (veth to veth).
    expect(await callWeb(cluster.pod('client-a').ns)).toBeUndefined();
    expect(await callWeb(cluster.pod('client-c').ns)).toBeUndefined();
    // node-a's host network (its node-proxy) arrives with node-a's address; node-c's own is local (OUTPUT).
    expect(await callWeb(cluster.node('node-a').ns)).toBe(cluster.node('node-a').ip);
    expect(await callWeb(cluster.node('node-c').ns)).toBeDefined();
    // The pods' refused attempts were dropped by the policy chain, not lost elsewhere.
    const counters = await runIn(cluster.node('node-c').ns, 'iptables-save', ['-c', '-t', 'mangle']);
    const drops = /^\[(\d+):\d+\] -A NMT-NPF-\w+ -j DROP$/m.exec(counters.stdout);
    expect(Number(drops?.[1] ?? 0), counters.stdout).toBeGreaterThan(0);
  });

  it('serves the pods again once the policy is gone, and leaves kube-proxy’s tables alone', async () => {
    await cluster.kubeProxy.addServiceRule({
      clusterIP: '10.96.0.30',
      port: 80,
      protocol: 'tcp',
      endpoints: [{ ip: cluster.pod('web').ip, port: WEB_HTTP, node: 'node-c' }],
    });
    await apply([]);
    expect(await callWeb(cluster.pod('client-a').ns)).toBe(cluster.pod('client-a').ip);
    const viaService = await curl(cluster.pod('client-c').ns, 'http://10.96.0.30/svc', { timeoutSec: 2 });
    expect(viaService.code, viaService.stderr).toBe(0);
    // A kube-proxy sync after the policy leaves the policy in force (each writes its own table).
    await apply([STRICT_POLICY]);
    await cluster.kubeProxy.sync();
    expect(await callWeb(cluster.pod('client-a').ns)).toBeUndefined();
    const refused = await curl(cluster.pod('client-c').ns, 'http://10.96.0.30/svc', { timeoutSec: 2 });
    expect(refused.code).not.toBe(0);
  });
});
