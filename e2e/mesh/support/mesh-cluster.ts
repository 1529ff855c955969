/**
 * The real mesh on a harness cluster: the in-memory API server, two dns-controller replicas (pods on
 * node-a and node-b behind the `nodemesh-dns` Service), dnsmasq as the cluster DNS forwarding `mesh` to that
 * Service, a node-proxy on every node (host network, listening on the node's address), and kube-proxy's part
 * kept current from the API by a loop in the runner. Everything runs inside the cluster's namespaces.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  DEFAULT_ISSUER_PORT,
  DEFAULT_NODE_PROXY_SERVICE_ACCOUNT,
  gatewayCustomResourceDefinitions,
  IDENTITY_SERVICE,
  IDENTITY_TOKEN_AUDIENCE,
} from '@nodemesh/smi-types';
import {
  Cluster,
  type ClusterDns,
  curl,
  KubeProxy,
  type ManagedProcess,
  NetworkPolicyEnforcer,
  type NodeHost,
  type Pod,
  runIn,
  SERVICE_CIDR,
  setResolver,
  startClusterDns,
  startIdentityServer,
  waitForPort,
} from '../../harness/index.js';
import { ApiClient } from './api-client.js';
import { BINARIES, SMI_CRDS } from './binaries.js';
import { KubeProxyLoop } from './kube-proxy-loop.js';
import { MESH_NAMESPACE, namespaceManifest, podManifest, serviceManifest } from './manifests.js';
import { NetworkPolicyLoop } from './network-policy-loop.js';
import { waitUntil } from './wait-until.js';

const FLAKY_SERVER = fileURLToPath(new URL('../servers/flaky-server.mjs', import.meta.url));

export const API_PORT = 6443;
/** The ClusterIP of the dns-controller's Service, fixed so dnsmasq can be told it at start. */
export const DNS_SERVICE_IP = '10.96.0.10';
export const DNS_PORT = 5353;
/** The ClusterIP of the identity issuer's Service (the dns-controller replicas, port 9443). */
export const IDENTITY_SERVICE_IP = '10.96.0.11';
export const ADMIN_PORT = 9090;
/** The node-proxy's debug listener, on 127.0.0.1 of its node (the binary's default). */
export const DEBUG_PORT = 9091;
/** The namespace of the user workloads. */
export const APP_NAMESPACE = 'shop';

const PROXY_LABELS = { 'app.kubernetes.io/part-of': 'nodemesh', 'app.kubernetes.io/component': 'node-proxy' };
const DNS_LABELS = {
  'app.kubernetes.io/part-of': 'nodemesh',
  'app.kubernetes.io/component': 'dns-controller',
};

/** The dns-controller replicas: pod name and node. */
export const DNS_REPLICAS = [
  { name: 'dns-1', node: 'node-a' },
  { name: 'dns-2', node: 'node-b' },
] as const;

export interface Workload {
  readonly pod: Pod;
  readonly process: ManagedProcess;
}

export interface DnsReplica {
  readonly pod: Pod;
  process: ManagedProcess;
}

export interface MeshClusterOptions {
  /** Extra flags for every node-proxy (e.g. `--access-control`). */
  readonly proxyFlags?: readonly string[];
  /** Extra flags for every dns-controller replica (e.g. `--certificate-ttl 10s`). */
  readonly dnsControllerFlags?: readonly string[];
}

export class MeshCluster {
  readonly proxies = new Map<string, ManagedProcess>();
  readonly dnsReplicas = new Map<string, DnsReplica>();
  private restarts = 0;
  apiServer!: ManagedProcess;
  dns!: ClusterDns;

  private constructor(
    readonly cluster: Cluster,
    readonly api: ApiClient,
    readonly kubeProxy: KubeProxyLoop,
    /** The CNI's NetworkPolicy part: the API's NetworkPolicies as iptables rules in every node. */
    readonly networkPolicy: NetworkPolicyLoop,
    private readonly options: MeshClusterOptions,
  ) {}

  /** Builds the cluster and starts the whole mesh; on failure tears down what it made and rethrows. */
  static async start(options: MeshClusterOptions = {}): Promise<MeshCluster> {
    const cluster = await Cluster.create();
    const ctl = cluster.controlPlane;
    const api = new ApiClient(ctl.ns, `http://${ctl.ip}:${API_PORT}`, cluster.runDir);
    // The control plane is kube-proxied too (its dnsmasq forwards to a ClusterIP): it needs a route for
    // the service range before OUTPUT's DNAT. Unmatched packets go to the hub's bridge, where nobody answers.
    const kubeProxy = new KubeProxy([...cluster.nodes, { name: 'ctl', ns: ctl.ns }]);
    const mesh = new MeshCluster(
      cluster,
      api,
      new KubeProxyLoop(api, kubeProxy),
      new NetworkPolicyLoop(api, new NetworkPolicyEnforcer(cluster.nodes)),
      options,
    );
    try {
      await runIn(ctl.ns, 'ip', ['route', 'add', SERVICE_CIDR, 'dev', 'eth0']);
      // dnsmasq keeps its upstream sockets, so a UDP conntrack entry made towards the DNS ClusterIP (before the
      // rule existed, or to a replica that has died) would keep its old translation as long as queries keep
      // coming. kube-proxy deletes such entries with the conntrack tool, which the harness does not have:
      // here they expire a second after their last packet instead.
      const sysctl = await runIn(ctl.ns, 'sysctl', [
        '-q',
        '-w',
        'net.netfilter.nf_conntrack_udp_timeout=1',
        'net.netfilter.nf_conntrack_udp_timeout_stream=1',
      ]);
      if (sysctl.code !== 0) throw new Error(`cannot shorten UDP conntrack timeouts: ${sysctl.stderr}`);
      await mesh.startControlPlane();
      await Promise.all(cluster.nodes.map((node) => mesh.startProxy(node.name)));
      await mesh.kubeProxy.settle();
    } catch (error) {
      await mesh.teardown();
      throw error;
    }
    return mesh;
  }

  private async startControlPlane(): Promise<void> {
    const ctl = this.cluster.controlPlane;
    this.apiServer = await this.cluster.start(ctl, {
      name: 'apiserver',
      command: process.execPath,
      args: [
        BINARIES.apiserver,
        '--port',
        String(API_PORT),
        '--host',
        ctl.ip,
        '--allow-non-loopback',
        '--service-cidr',
        SERVICE_CIDR,
      ],
    });
    await waitForPort(ctl.ns, 'tcp', API_PORT, { process: this.apiServer });
    for (const ns of [MESH_NAMESPACE, APP_NAMESPACE]) {
      await this.api.create('/api/v1/namespaces', namespaceManifest(ns));
    }
    const crds = await this.api.kubectl(['apply', '-f', '-'], await readFile(SMI_CRDS, 'utf8'));
    if (crds.code !== 0) throw new Error(`kubectl apply of the SMI CRDs failed: ${crds.stderr}`);
    // The Gateway API kinds Nodemesh reads, as the project generates them for the in-memory API server.
    const gateway = await this.api.kubectl(
      ['apply', '-f', '-'],
      gatewayCustomResourceDefinitions()
        .map((crd) => JSON.stringify(crd))
        .join('\n'),
    );
    if (gateway.code !== 0)
      throw new Error(`kubectl apply of the Gateway API CRDs failed: ${gateway.stderr}`);
    this.kubeProxy.start();
    this.networkPolicy.start();

    await this.api.create(
      `/api/v1/namespaces/${MESH_NAMESPACE}/services`,
      serviceManifest({
        namespace: MESH_NAMESPACE,
        name: 'nodemesh-dns',
        clusterIP: DNS_SERVICE_IP,
        selector: DNS_LABELS,
        ports: [
          { name: 'dns-udp', port: 53, targetPort: DNS_PORT, protocol: 'UDP' },
          { name: 'dns-tcp', port: 53, targetPort: DNS_PORT, protocol: 'TCP' },
        ],
      }),
    );
    // The identity issuer runs in every dns-controller replica, behind its Service as in deploy/base.
    await this.api.create(
      `/api/v1/namespaces/${MESH_NAMESPACE}/services`,
      serviceManifest({
        namespace: MESH_NAMESPACE,
        name: IDENTITY_SERVICE,
        clusterIP: IDENTITY_SERVICE_IP,
        selector: DNS_LABELS,
        ports: [{ name: 'identity', port: DEFAULT_ISSUER_PORT, targetPort: DEFAULT_ISSUER_PORT }],
      }),
    );
    await this.api.create(`/api/v1/namespaces/${MESH_NAMESPACE}/serviceaccounts`, {
      metadata: { name: DEFAULT_NODE_PROXY_SERVICE_ACCOUNT },
    });
    const pods = [];
    for (const replica of DNS_REPLICAS) pods.push(await this.cluster.addPod(replica.node, replica.name));
    for (const pod of pods) {
      await this.api.create(
        `/api/v1/namespaces/${MESH_NAMESPACE}/pods`,
        podManifest({
          namespace: MESH_NAMESPACE,
          name: pod.name,
          node: pod.node,
          ip: pod.ip,
          labels: DNS_LABELS,
          serviceAccount: 'nodemesh-dns',
        }),
      );
    }
    await Promise.all(
      pods.map(async (pod) => {
        this.dnsReplicas.set(pod.name, { pod, process: await this.startDnsController(pod) });
      }),
    );
    this.dns = await startClusterDns(this.cluster, ctl, {
      listen: ctl.ip,
      forward: [{ zone: 'mesh', server: DNS_SERVICE_IP, port: 53 }],
    });
  }

  /** Starts (or restarts) one dns-controller replica in its pod. */
  async startDnsController(pod: Pod): Promise<ManagedProcess> {
    this.restarts += 1;
    const started = await this.cluster.start(pod, {
      name: `dns-controller-${pod.name}-${this.restarts}`,
      command: process.execPath,
      args: [
        BINARIES.dnsController,
        'run',
        '--server',
        this.api.url,
        '--dns-host',
        '0.0.0.0',
        '--dns-port',
        String(DNS_PORT),
        '--admin-host',
        '0.0.0.0',
        '--admin-port',
        String(ADMIN_PORT),
        '--cluster-dns',
        'none',
        '--dns-ttl',
        '1s',
        '--lease-duration',
        '3s',
        '--lease-renew-deadline',
        '2s',
        '--lease-retry-period',
        '500ms',
        '--identity',
        'true',
        '--identity-port',
        String(DEFAULT_ISSUER_PORT),
        ...(this.options.dnsControllerFlags ?? []),
      ],
      env: { POD_NAME: pod.name, POD_NAMESPACE: MESH_NAMESPACE },
    });
    await waitForPort(pod.ns, 'udp', DNS_PORT, { process: started, timeoutMs: 20_000 });
    return started;
  }

  /** Waits until a dns-controller replica's /readyz says 200 (what a kubelet's readiness probe checks). */
  async waitDnsReady(replica: string): Promise<void> {
    const pod = this.dnsReplicas.get(replica)?.pod;
    if (pod === undefined) throw new Error(`no dns-controller replica ${replica}`);
    await waitUntil(
      `dns-controller ${replica} to be ready`,
      async () => {
        const url = `http://127.0.0.1:${ADMIN_PORT}/readyz`;
        return (await curl(pod.ns, url, { timeoutSec: 1, args: ['-f'] })).code === 0 ? true : undefined;
      },
      { timeoutMs: 20_000, intervalMs: 200 },
    );
  }

  /** Registers the node-proxy's Pod (first time) and starts it on `nodeName`; waits for /readyz. */
  async startProxy(nodeName: string, extraFlags: readonly string[] = []): Promise<ManagedProcess> {
    const node = this.cluster.node(nodeName);
    const podName = `node-proxy-${node.name}`;
    const existing = await this.api.get(`/api/v1/namespaces/${MESH_NAMESPACE}/pods/${podName}`);
    if (existing.status === 404) {
      await this.api.create(
        `/api/v1/namespaces/${MESH_NAMESPACE}/pods`,
        podManifest({
          namespace: MESH_NAMESPACE,
          name: podName,
          node: node.name,
          ip: node.ip,
          labels: PROXY_LABELS,
          serviceAccount: DEFAULT_NODE_PROXY_SERVICE_ACCOUNT,
          hostNetwork: true,
        }),
      );
    }
    const tokenFile = await this.identityToken(podName);
    this.restarts += 1;
    const started = await this.cluster.start(node, {
      name: `node-proxy-${node.name}-${this.restarts}`,
      command: process.execPath,
      args: [
        BINARIES.nodeProxy,
        'run',
        '--server',
        this.api.url,
        '--node-name',
        node.name,
        '--listen-host',
        node.ip,
        '--admin-host',
        node.ip,
        '--admin-port',
        String(ADMIN_PORT),
        '--identity-issuer',
        `https://${IDENTITY_SERVICE_IP}:${DEFAULT_ISSUER_PORT}`,
        '--identity-token-file',
        tokenFile,
        ...(this.options.proxyFlags ?? []),
        ...extraFlags,
      ],
    });
    this.proxies.set(node.name, started);
    await waitUntil(
      `the node-proxy on ${node.name} to be ready`,
      async () => {
        if (started.exited()) throw new Error(`it exited: ${(await started.log()).slice(-2000)}`);
        // -f: a 503 ("not ready: …") is a failure, not an answer.
        const url = `http://${node.ip}:${ADMIN_PORT}/readyz`;
        const ready = await curl(node.ns, url, { timeoutSec: 1, args: ['-f'] });
        return ready.code === 0 && ready.stdout.trim() === 'ready' ? true : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 200 },
    );
    return started;
  }

  /**
   * The node-proxy's identity token, as the kubelet projects it: bound to its Pod, for the issuer's audience,
   * written to a file in the run directory (which every namespace of the cluster sees).
   */
  private async identityToken(podName: string): Promise<string> {
    const answer = (await this.api.create(
      `/api/v1/namespaces/${MESH_NAMESPACE}/serviceaccounts/${DEFAULT_NODE_PROXY_SERVICE_ACCOUNT}/token`,
      {
        spec: {
          audiences: [IDENTITY_TOKEN_AUDIENCE],
          expirationSeconds: 3600,
          boundObjectRef: { kind: 'Pod', name: podName },
        },
      },
    )) as { status?: { token?: string } };
    const token = answer.status?.token;
    if (token === undefined) throw new Error(`no token for ${podName}`);
    const file = join(this.cluster.runDir, `${podName}.token`);
    await writeFile(file, token, { mode: 0o600 });
    return file;
  }

  /** A pod running the identity server (HTTP and/or UDP), registered as a Running, Ready Pod. */
  async addWorkload(
    nodeName: string,
    name: string,
    options: {
      readonly labels: Readonly<Record<string, string>>;
      readonly serviceAccount?: string;
      readonly httpPort?: number;
      readonly udpPort?: number;
    },
  ): Promise<Workload> {
    const pod = await this.cluster.addPod(nodeName, name);
    const started = await startIdentityServer(this.cluster, pod, {
      ...(options.httpPort === undefined ? {} : { httpPort: options.httpPort }),
      ...(options.udpPort === undefined ? {} : { udpPort: options.udpPort }),
    });
    await this.registerPod(pod, options.labels, options.serviceAccount);
    return { pod, process: started };
  }

  /** A pod running the flaky server (every `failEvery`-th request answered 503), registered like a workload. */
  async addFlakyWorkload(
    nodeName: string,
    name: string,
    options: {
      readonly labels: Readonly<Record<string, string>>;
      readonly httpPort: number;
      readonly failEvery: number;
    },
  ): Promise<Workload> {
    const pod = await this.cluster.addPod(nodeName, name);
    const started = await this.cluster.start(pod, {
      name: `flaky-${pod.name}`,
      command: process.execPath,
      args: [
        FLAKY_SERVER,
        '--pod',
        pod.name,
        '--node',
        pod.node,
        '--http-port',
        String(options.httpPort),
        '--fail-every',
        String(options.failEvery),
      ],
    });
    await waitForPort(pod.ns, 'tcp', options.httpPort, { process: started });
    await this.registerPod(pod, options.labels, name);
    return { pod, process: started };
  }

  /** A pod that only calls: registered (so its node's proxy knows who it is), resolving via the cluster DNS. */
  async addClient(nodeName: string, name: string, serviceAccount = name): Promise<Pod> {
    const pod = await this.cluster.addPod(nodeName, name);
    await this.registerPod(pod, { app: name }, serviceAccount);
    // Two tries of two seconds, nearer a pod's resolver than the harness's fail-fast default: the machine
    // running the suite may be busy, and a real resolver retries too.
    await setResolver(pod.ns, this.dns.ip, { timeoutSec: 2, attempts: 2 });
    return pod;
  }

  private async registerPod(
    pod: Pod,
    labels: Readonly<Record<string, string>>,
    serviceAccount = 'default',
  ): Promise<void> {
    await this.api.create(
      `/api/v1/namespaces/${APP_NAMESPACE}/pods`,
      podManifest({
        namespace: APP_NAMESPACE,
        name: pod.name,
        node: pod.node,
        ip: pod.ip,
        labels,
        serviceAccount,
      }),
    );
  }

  /** A node-proxy's /metrics, read from inside its node. */
  async proxyMetrics(nodeName: string): Promise<string> {
    const node: NodeHost = this.cluster.node(nodeName);
    const result = await curl(node.ns, `http://${node.ip}:${ADMIN_PORT}/metrics`, { timeoutSec: 3 });
    if (result.code !== 0) throw new Error(`metrics of the node-proxy on ${nodeName}: ${result.stderr}`);
    return result.stdout;
  }

  /** A dns-controller replica's /metrics, read from inside its pod. */
  async dnsMetrics(replica: string): Promise<string> {
    const pod = this.dnsReplicas.get(replica)?.pod;
    if (pod === undefined) throw new Error(`no dns-controller replica ${replica}`);
    const result = await curl(pod.ns, `http://127.0.0.1:${ADMIN_PORT}/metrics`, { timeoutSec: 3 });
    if (result.code !== 0) throw new Error(`metrics of ${replica}: ${result.stderr}`);
    return result.stdout;
  }

  /** A node-proxy's routing snapshot (/debug/snapshot, on 127.0.0.1 of its node: the default --debug-port). */
  async proxySnapshot(nodeName: string): Promise<string> {
    const node = this.cluster.node(nodeName);
    const result = await curl(node.ns, `http://127.0.0.1:${DEBUG_PORT}/debug/snapshot`, { timeoutSec: 3 });
    return result.stdout;
  }

  /** For a failed test: every log's end, the network state and the kube-proxy loop's last error. */
  async report(): Promise<string> {
    return [
      await this.cluster.logTails(30),
      await this.cluster.networkState(),
      `kube-proxy loop: ${this.kubeProxy.lastError ?? 'no error'}`,
      `NetworkPolicy loop: ${this.networkPolicy.lastError ?? 'no error'}; ${this.networkPolicy.problems.join('; ') || 'no problem'}`,
    ].join('\n');
  }

  /** Stops the loop and tears the cluster down; returns what could not be undone. */
  async teardown(): Promise<string[]> {
    await Promise.all([this.kubeProxy.stop(), this.networkPolicy.stop()]);
    return this.cluster.teardown();
  }
}
