/**
 * The NetworkPolicies of the nodemesh namespace, read the way a CNI plugin reads them: each port of each
 * component is admitted from exactly what needs it, and the port ranges agree with the configuration the
 * components run with (so changing one without the other fails here).
 */
import { join } from 'node:path';
import { desiredStrictPolicy } from '@nodemesh/dns-controller';
import { describe, expect, it } from 'vitest';
import {
  DEPLOY_DIR,
  expandKustomization,
  isRecord,
  type KubeObject,
  OVERLAYS,
  RENDERED_FILE,
  readYamlObjects,
} from './manifests.js';
import { admits, type Peer, type PodView, type Protocol, selects } from './network-policy-rules.js';

const SOURCES: ReadonlyArray<readonly [string, KubeObject[]]> = [
  ['the default kustomization', expandKustomization(DEPLOY_DIR, { withoutCrds: true })],
  ...OVERLAYS.map(
    (name) =>
      [
        `overlay ${name}`,
        expandKustomization(join(DEPLOY_DIR, 'overlays', name), { withoutCrds: true }),
      ] as const,
  ),
  ['deploy/nodemesh.yaml', readYamlObjects(RENDERED_FILE)],
];

const record = (value: unknown): Record<string, unknown> => (isRecord(value) ? value : {});

function find(objects: readonly KubeObject[], kind: string, name: string): KubeObject {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
  if (found === undefined) throw new Error(`no ${kind} ${name}`);
  return found;
}

/** The pod a workload runs, as a NetworkPolicy sees it: namespace and template labels. */
function podOf(workload: KubeObject): PodView {
  const template = record(record(workload.spec).template);
  const labels = record(record(template.metadata).labels) as Record<string, string>;
  return { namespace: workload.metadata.namespace ?? 'default', labels };
}

function configValue(objects: readonly KubeObject[], map: string, key: string): string {
  const value = record(find(objects, 'ConfigMap', map).data)[key];
  if (typeof value !== 'string') throw new Error(`ConfigMap ${map} has no ${key}`);
  return value;
}

function range(text: string): [number, number] {
  const [first, last] = text.split('-').map(Number);
  if (first === undefined || last === undefined) throw new Error(`not a range: ${text}`);
  return [first, last];
}

const appPod: Peer = { kind: 'pod', namespace: 'shop', labels: { app: 'orders' } };
const prometheus: Peer = {
  kind: 'pod',
  namespace: 'monitoring',
  labels: { 'app.kubernetes.io/name': 'prometheus' },
};
const meshNeighbour: Peer = { kind: 'pod', namespace: 'nodemesh', labels: { app: 'other' } };

describe.each(SOURCES)('NetworkPolicies of %s', (_name, objects) => {
  const policies = objects.filter((o) => o.kind === 'NetworkPolicy');
  const dnsPod = podOf(find(objects, 'Deployment', 'nodemesh-dns-controller'));
  const proxyPod = podOf(find(objects, 'DaemonSet', 'nodemesh-node-proxy'));
  const adminPort = Number(configValue(objects, 'nodemesh-mesh', 'NODEMESH_ADMIN_PORT'));
  const dnsPort = Number(configValue(objects, 'nodemesh-dns-controller', 'NODEMESH_DNS_PORT'));
  const entrypoints = Number(configValue(objects, 'nodemesh-mesh', 'NODEMESH_HTTP_ENTRYPOINTS'));
  const [tcpFirst, tcpLast] = range(configValue(objects, 'nodemesh-mesh', 'NODEMESH_TCP_PORTS'));
  const [udpFirst, udpLast] = range(configValue(objects, 'nodemesh-mesh', 'NODEMESH_UDP_PORTS'));
  const debugPort = 9091;
  const can = (peer: Peer, pod: PodView, port: number, protocol: Protocol = 'TCP') =>
    admits(policies, pod, peer, port, protocol);

  it('deny everything into the namespace that no policy admits', () => {
    const other: PodView = { namespace: 'nodemesh', labels: { app: 'something-else' } };
    expect(can(appPod, other, 80)).toBe(false);
    expect(can(prometheus, other, adminPort)).toBe(false);
  });

  it('admit the DNS port from every pod of the cluster, and nothing else of the dns-controller', () => {
    for (const peer of [appPod, prometheus, meshNeighbour]) {
      expect(can(peer, dnsPod, dnsPort, 'UDP')).toBe(true);
      expect(can(peer, dnsPod, dnsPort, 'TCP')).toBe(true);
    }
    expect(can(appPod, dnsPod, adminPort)).toBe(false);
    expect(can(appPod, dnsPod, dnsPort + 1, 'UDP')).toBe(false);
  });

  it('admit the admin ports (metrics) from Prometheus’s namespace only', () => {
    expect(can(prometheus, dnsPod, adminPort)).toBe(true);
    expect(can(prometheus, proxyPod, adminPort)).toBe(true);
    for (const peer of [appPod, meshNeighbour]) {
      expect(can(peer, dnsPod, adminPort)).toBe(false);
      expect(can(peer, proxyPod, adminPort)).toBe(false);
    }
  });

  it('admit the node-proxy’s data ports from every pod, exactly the configured ranges', () => {
    const http: [number, number] = [5000, 5000 + entrypoints - 1];
    for (const [first, last, protocol] of [
      [...http, 'TCP'],
      [tcpFirst, tcpLast, 'TCP'],
      [udpFirst, udpLast, 'UDP'],
    ] as const) {
      expect(can(appPod, proxyPod, first, protocol)).toBe(true);
      expect(can(appPod, proxyPod, last, protocol)).toBe(true);
      expect(can(meshNeighbour, proxyPod, first, protocol)).toBe(true);
      expect(can(appPod, proxyPod, last + 1, protocol)).toBe(false);
      expect(can(appPod, proxyPod, first - 1, protocol)).toBe(false);
    }
    // A TCP range is not a UDP range, nor the other way round.
    expect(can(appPod, proxyPod, tcpFirst, 'UDP')).toBe(false);
    expect(can(appPod, proxyPod, udpFirst, 'TCP')).toBe(false);
  });

  it('admit the identity issuer’s port from the node-proxies only', () => {
    const identityPort = Number(configValue(objects, 'nodemesh-dns-controller', 'NODEMESH_IDENTITY_PORT'));
    const nodeProxy: Peer = { kind: 'pod', namespace: 'nodemesh', labels: proxyPod.labels };
    expect(can(nodeProxy, dnsPod, identityPort)).toBe(true);
    for (const peer of [appPod, prometheus, meshNeighbour]) {
      expect(can(peer, dnsPod, identityPort)).toBe(false);
    }
    const shopPodLikeAProxy: Peer = { kind: 'pod', namespace: 'shop', labels: proxyPod.labels };
    expect(can(shopPodLikeAProxy, dnsPod, identityPort)).toBe(false);
  });

  it('admit the mTLS tunnel port from the other node-proxies only', () => {
    const tunnelPort = Number(configValue(objects, 'nodemesh-node-proxy', 'NODEMESH_TUNNEL_PORT'));
    const nodeProxy: Peer = { kind: 'pod', namespace: 'nodemesh', labels: proxyPod.labels };
    expect(can(nodeProxy, proxyPod, tunnelPort)).toBe(true);
    for (const peer of [appPod, prometheus, meshNeighbour]) {
      expect(can(peer, proxyPod, tunnelPort)).toBe(false);
    }
    const shopPodLikeAProxy: Peer = { kind: 'pod', namespace: 'shop', labels: proxyPod.labels };
    expect(can(shopPodLikeAProxy, proxyPod, tunnelPort)).toBe(false);
  });

  it('admit nothing to the debug port, which only kubectl port-forward reaches', () => {
    for (const peer of [appPod, prometheus, meshNeighbour]) {
      expect(can(peer, proxyPod, debugPort)).toBe(false);
    }
  });

  it('cover every port the workloads declare', () => {
    const declared = (workload: KubeObject) =>
      (record(record(record(workload.spec).template).spec).containers as unknown[])
        .map(record)
        .flatMap((c) => (Array.isArray(c.ports) ? c.ports.map(record) : []));
    for (const [workload, pod] of [
      [find(objects, 'Deployment', 'nodemesh-dns-controller'), dnsPod],
      [find(objects, 'DaemonSet', 'nodemesh-node-proxy'), proxyPod],
    ] as const) {
      for (const port of declared(workload)) {
        const protocol = (port.protocol ?? 'TCP') as Protocol;
        const nodeProxy: Peer = { kind: 'pod', namespace: 'nodemesh', labels: proxyPod.labels };
        const admitted = [appPod, prometheus, nodeProxy].some((peer) =>
          can(peer, pod, Number(port.containerPort), protocol),
        );
        expect(admitted, `${workload.metadata.name} ${String(port.name)}`).toBe(true);
      }
    }
  });
});

describe.each(SOURCES)('the strict-mode NetworkPolicy of the dns-controller, with %s', (_name, objects) => {
  // What the leader writes beside a strict Service (docs/mtls.md), read the way a CNI plugin reads it.
  const proxyPod = podOf(find(objects, 'DaemonSet', 'nodemesh-node-proxy'));
  const meshNamespace = proxyPod.namespace;
  const policy = desiredStrictPolicy(
    { namespace: 'shop', name: 'orders' },
    { app: 'orders' },
    meshNamespace,
  ) as unknown as KubeObject;
  const orders: PodView = { namespace: 'shop', labels: { app: 'orders', version: 'v1' } };
  const nodeProxy: Peer = {
    kind: 'pod',
    namespace: meshNamespace,
    namespaceLabels: { 'kubernetes.io/metadata.name': meshNamespace },
    labels: proxyPod.labels,
  };

  it('admits the node-proxy pods of the install, on any port', () => {
    for (const port of [80, 8080, 9000]) expect(admits([policy], orders, nodeProxy, port, 'TCP')).toBe(true);
  });

  it('refuses every other pod, a pod labelled like a proxy elsewhere, and the nodes', () => {
    const shopPod: Peer = { kind: 'pod', namespace: 'shop', namespaceLabels: {}, labels: { app: 'web' } };
    const fakeProxy: Peer = {
      ...nodeProxy,
      namespace: 'shop',
      namespaceLabels: { 'kubernetes.io/metadata.name': 'shop' },
    };
    const meshPod: Peer = { ...nodeProxy, labels: { app: 'other' } };
    for (const peer of [shopPod, fakeProxy, meshPod, { kind: 'host', ip: '10.0.0.7' } as const]) {
      expect(admits([policy], orders, peer, 80, 'TCP')).toBe(false);
    }
  });

  it('leaves the pods of other Services alone, and adds up with a policy of the user', () => {
    const other: PodView = { namespace: 'shop', labels: { app: 'web' } };
    const appPod: Peer = { kind: 'pod', namespace: 'ingress', namespaceLabels: {}, labels: {} };
    expect(admits([policy], other, appPod, 80, 'TCP')).toBe(true);
    const allowIngress: KubeObject = {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: 'allow-ingress', namespace: 'shop' },
      spec: {
        podSelector: { matchLabels: { app: 'orders' } },
        ingress: [{ from: [{ namespaceSelector: {} }] }],
      },
    };
    expect(admits([policy], orders, appPod, 80, 'TCP')).toBe(false);
    expect(admits([policy, allowIngress], orders, appPod, 80, 'TCP')).toBe(true);
  });
});

describe('the NetworkPolicy reading used above', () => {
  const policy = (spec: Record<string, unknown>): KubeObject => ({
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name: 'p', namespace: 'ns' },
    spec,
  });
  const pod: PodView = { namespace: 'ns', labels: { app: 'a' } };
  const peer: Peer = { kind: 'pod', namespace: 'other', labels: {} };

  it('admits everything to a pod no policy selects, nothing to one selected without rules', () => {
    expect(admits([], pod, peer, 80, 'TCP')).toBe(true);
    expect(admits([policy({ podSelector: { matchLabels: { app: 'b' } } })], pod, peer, 80, 'TCP')).toBe(true);
    expect(admits([policy({ podSelector: {}, policyTypes: ['Ingress'] })], pod, peer, 80, 'TCP')).toBe(false);
    expect(admits([policy({ podSelector: {}, policyTypes: ['Egress'] })], pod, peer, 80, 'TCP')).toBe(true);
  });

  it('reads a peer without namespaceSelector as the policy’s own namespace, and ipBlocks as hosts', () => {
    const samePodsOnly = policy({ podSelector: {}, ingress: [{ from: [{ podSelector: {} }] }] });
    expect(admits([samePodsOnly], pod, peer, 80, 'TCP')).toBe(false);
    expect(admits([samePodsOnly], pod, { ...peer, namespace: 'ns' }, 80, 'TCP')).toBe(true);
    const nodes = policy({ podSelector: {}, ingress: [{ from: [{ ipBlock: { cidr: '10.0.0.0/24' } }] }] });
    expect(admits([nodes], pod, { kind: 'host', ip: '10.0.0.7' }, 80, 'TCP')).toBe(true);
    expect(admits([nodes], pod, { kind: 'host', ip: '10.0.1.7' }, 80, 'TCP')).toBe(false);
  });

  it('matches port ranges, protocols and selector expressions', () => {
    const ranged = policy({
      podSelector: { matchExpressions: [{ key: 'app', operator: 'In', values: ['a'] }] },
      ingress: [{ ports: [{ protocol: 'UDP', port: 100, endPort: 200 }] }],
    });
    expect(admits([ranged], pod, peer, 150, 'UDP')).toBe(true);
    expect(admits([ranged], pod, peer, 150, 'TCP')).toBe(false);
    expect(admits([ranged], pod, peer, 201, 'UDP')).toBe(false);
    expect(selects({ matchExpressions: [{ key: 'x', operator: 'DoesNotExist' }] }, { app: 'a' })).toBe(true);
  });
});
