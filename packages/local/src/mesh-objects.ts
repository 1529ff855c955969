/**
 * What a real cluster would show of the mesh itself, registered by local mode so `nodemesh check`, `stat`,
 * `config` and `version` read the same objects as on a cluster: the dns-controller's Deployment and Pod, a
 * node-proxy Pod on each node (all Running and Ready, with their real command lines and admin ports, and the
 * podIP where their admin servers listen: 127.0.0.1, or the second node's address, see local-nodes.ts), the
 * mesh DNS Service, and a CoreDNS ConfigMap and kube-dns Service in kube-system for the dns-controller to add
 * its forward block to (nothing reads that Corefile: local mode's callers ask the mesh DNS server directly).
 * Pure.
 */
import {
  DEFAULT_MESH_NAMESPACE,
  DEFAULT_NODE_PROXY_SERVICE_ACCOUNT,
  DEFAULT_TRUST_DOMAIN,
} from '@nodemesh/smi-types';
import type { LocalNode } from './local-nodes.js';
import type { LocalSettings } from './settings.js';

export const DNS_CONTROLLER_POD = 'dns-controller-local';

export function dnsControllerArgs(settings: LocalSettings, server: string): string[] {
  return [
    'run',
    `--server=${server}`,
    `--dns-host=${settings.dnsHost}`,
    `--dns-port=${settings.dnsPort}`,
    '--admin-host=127.0.0.1',
    `--admin-port=${settings.dnsAdminPort}`,
    '--cluster-dns=coredns',
    '--ignore-namespaces=kube-system',
    '--log-level=warn',
    '--identity=true',
    '--identity-host=127.0.0.1',
    `--identity-port=${settings.identityPort}`,
    `--trust-domain=${DEFAULT_TRUST_DOMAIN}`,
  ];
}

/**
 * The command line of `node`'s node-proxy, the same shape on each node. `tokenFile`: where local mode writes
 * the node-proxy's pod-bound token, as a projected volume would.
 */
export function nodeProxyArgs(
  settings: LocalSettings,
  node: LocalNode,
  server: string,
  tokenFile: string,
): string[] {
  return [
    'run',
    `--server=${server}`,
    `--node-name=${node.name}`,
    `--listen-host=${node.ip}`,
    `--admin-host=${node.adminHost}`,
    `--admin-port=${node.adminPort}`,
    `--debug-port=${node.debugPort}`,
    `--access-control=${settings.accessControl}`,
    '--log-level=warn',
    `--identity-issuer=https://127.0.0.1:${settings.identityPort}`,
    `--identity-token-file=${tokenFile}`,
    `--trust-domain=${DEFAULT_TRUST_DOMAIN}`,
  ];
}

type Obj = Record<string, unknown> & {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
};

const labels = (component: string) => ({
  'app.kubernetes.io/name': `nodemesh-${component}`,
  'app.kubernetes.io/part-of': 'nodemesh',
  'app.kubernetes.io/component': component,
});

function pod(
  name: string,
  component: string,
  nodeName: string,
  args: string[],
  ports: unknown[],
  now: Date,
  placement: { podIP: string; hostNetwork: boolean } = { podIP: '127.0.0.1', hostNetwork: false },
): Obj {
  const { podIP, hostNetwork } = placement;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: DEFAULT_MESH_NAMESPACE, labels: labels(component) },
    spec: {
      nodeName,
      serviceAccountName: `nodemesh-${component}`,
      ...(hostNetwork ? { hostNetwork } : {}),
      containers: [{ name: component, image: `ghcr.io/nodemesh/${component}:local`, args, ports }],
    },
    status: {
      phase: 'Running',
      podIP,
      podIPs: [{ ip: podIP }],
      conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: now.toISOString() }],
    },
  };
}

/** Objects to create before the components start. */
export function clusterObjects(settings: LocalSettings): Obj[] {
  const corefile = [
    '.:53 {',
    '    errors',
    '    health',
    '    kubernetes cluster.local in-addr.arpa ip6.arpa {',
    '       pods insecure',
    '       fallthrough in-addr.arpa ip6.arpa',
    '    }',
    '    forward . /etc/resolv.conf',
    '    cache 30',
    '}',
    '',
  ].join('\n');
  const dnsPorts = (target: number) => [
    { name: 'dns-udp', port: 53, targetPort: target, protocol: 'UDP' },
    { name: 'dns-tcp', port: 53, targetPort: target, protocol: 'TCP' },
  ];
  return [
    {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name: DEFAULT_NODE_PROXY_SERVICE_ACCOUNT, namespace: DEFAULT_MESH_NAMESPACE },
    },
    {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'coredns', namespace: 'kube-system' },
      data: { Corefile: corefile },
    },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'kube-dns', namespace: 'kube-system', labels: { 'k8s-app': 'kube-dns' } },
      spec: { selector: { 'k8s-app': 'kube-dns' }, ports: dnsPorts(53) },
    },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'nodemesh-dns', namespace: DEFAULT_MESH_NAMESPACE, labels: labels('dns-controller') },
      spec: {
        selector: {
          'app.kubernetes.io/part-of': 'nodemesh',
          'app.kubernetes.io/component': 'dns-controller',
        },
        ports: dnsPorts(settings.dnsPort),
      },
    },
  ];
}

/** A node-proxy as local mode runs it: its node and the file of its pod-bound token. */
export interface LocalNodeProxy {
  readonly node: LocalNode;
  readonly tokenFile: string;
}

/** Objects to create once the components are ready: their workloads and pods, as a cluster would show. */
export function componentObjects(
  settings: LocalSettings,
  server: string,
  proxies: readonly LocalNodeProxy[],
  now: Date,
): Obj[] {
  const controllerPod = pod(
    DNS_CONTROLLER_POD,
    'dns-controller',
    settings.nodeName,
    dnsControllerArgs(settings, server),
    [
      { name: 'dns-udp', containerPort: settings.dnsPort, protocol: 'UDP' },
      { name: 'dns-tcp', containerPort: settings.dnsPort, protocol: 'TCP' },
      { name: 'admin', containerPort: settings.dnsAdminPort, protocol: 'TCP' },
    ],
    now,
  );
  const proxyPods = proxies.map((proxy) => nodeProxyPod(settings, proxy, server, now));
  const deployment: Obj = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name: 'nodemesh-dns-controller',
      namespace: DEFAULT_MESH_NAMESPACE,
      labels: labels('dns-controller'),
    },
    spec: {
      replicas: 1,
      selector: {
        matchLabels: {
          'app.kubernetes.io/part-of': 'nodemesh',
          'app.kubernetes.io/component': 'dns-controller',
        },
      },
      template: { metadata: { labels: labels('dns-controller') }, spec: controllerPod.spec },
    },
    status: { replicas: 1, readyReplicas: 1, availableReplicas: 1, updatedReplicas: 1 },
  };
  return [deployment, controllerPod, ...proxyPods];
}

/**
 * A node-proxy's Pod on its node, Running and Ready, with its real command line and admin and debug ports.
 * Its identity token is bound to it (TokenRequest), so it exists before the proxy starts.
 */
export function nodeProxyPod(settings: LocalSettings, proxy: LocalNodeProxy, server: string, now: Date): Obj {
  const { node, tokenFile } = proxy;
  return pod(
    node.proxyPod,
    'node-proxy',
    node.name,
    nodeProxyArgs(settings, node, server, tokenFile),
    [
      { name: 'admin', containerPort: node.adminPort, protocol: 'TCP' },
      // The /debug listener, bound to the pod's loopback; `nodemesh config` reads the port named debug.
      ...(node.debugPort === 0 ? [] : [{ name: 'debug', containerPort: node.debugPort, protocol: 'TCP' }]),
    ],
    now,
    // It listens on the node's address, as a host-network pod would.
    { podIP: node.podIP, hostNetwork: true },
  );
}
