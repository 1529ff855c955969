/**
 * A cluster of network namespaces: a `hub` holding a bridge (the node network), a control-plane namespace and
 * nodes on that bridge, and pods as namespaces of their own behind a veth into their node, which routes for
 * them. Nothing is ever created in the runner's or the machine's namespace: every veth is made inside a
 * harness namespace with its peer placed straight into another, so the graph of links is closed.
 *
 * Everything made is tracked and removed by `teardown()`, which never throws and reports what it could not
 * undo. Processes started with `start()` are stopped first.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CONTROL_PLANE_ADDRESS,
  NODE_NETWORK_PREFIX,
  nodeAddress,
  podAddress,
  podCidr,
  podGateway,
  SERVICE_CIDR,
} from './addressing.js';
import { KubeProxy } from './kube-proxy.js';
import type { LeftoverQuery } from './leftovers.js';
import { checkShortName, linkName, linkTag, runPrefix } from './names.js';
import { createNamespace, deleteNamespace, ipIn, runIn, sysctlIn } from './netns.js';
import { type ManagedProcess, type ProcessSpec, startProcess } from './process.js';

/** A node: a namespace on the node network that routes for its pods. */
export interface NodeHost {
  readonly name: string;
  /** 1-based position, which fixes its addresses. */
  readonly index: number;
  readonly ns: string;
  readonly ip: string;
  readonly podCidr: string;
}

/** A pod: a namespace of its own with one address, behind its node. */
export interface Pod {
  readonly name: string;
  readonly node: string;
  readonly ns: string;
  readonly ip: string;
}

/** The control plane's host (API server, dns-controller, cluster DNS): a namespace on the node network. */
export interface ControlPlane {
  readonly ns: string;
  readonly ip: string;
}

export interface ClusterOptions {
  /** Node names, in order (default node-a, node-b, node-c). */
  readonly nodes?: readonly string[];
  /** Keep the log directory after teardown (default: only if NMT_KEEP_LOGS=1). */
  readonly keepLogs?: boolean;
}

/** Where something runs: a namespace name or any host of the cluster. */
export type Place = string | { readonly ns: string };

/** Clusters made by this process so far: each gets its own prefix, `nmt<pid>-c<n>-`. */
let clustersMade = 0;

export class Cluster {
  /** The prefix of every namespace of this cluster, e.g. `nmt4242-c1-`. */
  readonly prefix: string;
  readonly hubNs: string;
  readonly controlPlane: ControlPlane;
  readonly nodes: readonly NodeHost[];
  readonly kubeProxy: KubeProxy;
  /** Every namespace made, in creation order, with its inode (to find processes left inside later). */
  readonly namespaces = new Map<string, number>();
  readonly processes: ManagedProcess[] = [];
  readonly pods = new Map<string, Pod>();
  private readonly tag = linkTag();
  private readonly podsPerNode = new Map<string, number>();
  private links = 0;
  private tornDown = false;

  private constructor(
    prefix: string,
    readonly runDir: string,
    nodeNames: readonly string[],
    private readonly keepLogs: boolean,
  ) {
    this.prefix = prefix;
    this.hubNs = `${this.prefix}hub`;
    this.controlPlane = { ns: `${this.prefix}ctl`, ip: CONTROL_PLANE_ADDRESS };
    this.nodes = nodeNames.map((name, i) => ({
      name,
      index: i + 1,
      ns: `${this.prefix}${name}`,
      ip: nodeAddress(i + 1),
      podCidr: podCidr(i + 1),
    }));
    this.kubeProxy = new KubeProxy(this.nodes);
  }

  /** Builds the hub, the control plane and the nodes; on failure removes what it made and rethrows. */
  static async create(options: ClusterOptions = {}): Promise<Cluster> {
    const nodeNames = options.nodes ?? ['node-a', 'node-b', 'node-c'];
    for (const name of nodeNames) {
      const problem = checkShortName('node', name);
      if (problem) throw new Error(problem);
      // Namespaces are <prefix>hub, <prefix>ctl, <prefix><node> and <prefix>pod-<pod>: keep them apart.
      if (name === 'hub' || name === 'ctl' || name.startsWith('pod-')) {
        throw new Error(
          `node name ${JSON.stringify(name)} is reserved (hub, ctl and pod-* name other namespaces)`,
        );
      }
    }
    if (new Set(nodeNames).size !== nodeNames.length)
      throw new Error(`node names must be unique, got ${nodeNames.join(', ')}`);
    clustersMade += 1;
    const prefix = `${runPrefix()}c${clustersMade}-`;
    const runDir = await mkdtemp(join(tmpdir(), prefix));
    const cluster = new Cluster(
      prefix,
      runDir,
      nodeNames,
      options.keepLogs ?? process.env.NMT_KEEP_LOGS === '1',
    );
    try {
      await cluster.build();
    } catch (error) {
      await cluster.teardown();
      throw error;
    }
    return cluster;
  }

  /** The node called `name`; throws for an unknown name. */
  node(name: string): NodeHost {
    const node = this.nodes.find((n) => n.name === name);
    if (!node)
      throw new Error(
        `no node ${JSON.stringify(name)}; nodes are ${this.nodes.map((n) => n.name).join(', ')}`,
      );
    return node;
  }

  /** The pod called `name`; throws for an unknown name. */
  pod(name: string): Pod {
    const pod = this.pods.get(name);
    if (!pod) throw new Error(`no pod ${JSON.stringify(name)}`);
    return pod;
  }

  /** Adds a pod on a node: its namespace, a veth into the node, its address and the routes both ways. */
  async addPod(nodeName: string, name: string): Promise<Pod> {
    const problem = checkShortName('pod', name);
    if (problem) throw new Error(problem);
    if (this.pods.has(name)) throw new Error(`pod ${JSON.stringify(name)} exists already`);
    const node = this.node(nodeName);
    const podIndex = (this.podsPerNode.get(node.name) ?? 0) + 1;
    this.podsPerNode.set(node.name, podIndex);
    const pod: Pod = {
      name,
      node: node.name,
      ns: `${this.prefix}pod-${name}`,
      ip: podAddress(node.index, podIndex),
    };
    const gateway = podGateway(node.index);
    const veth = this.nextLink('p');
    await this.addNamespace(pod.ns);
    this.pods.set(name, pod);
    await ipIn(node.ns, ['link', 'add', veth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', pod.ns]);
    await ipIn(node.ns, ['addr', 'add', `${gateway}/32`, 'dev', veth]);
    await ipIn(node.ns, ['link', 'set', veth, 'up']);
    await ipIn(node.ns, ['route', 'add', `${pod.ip}/32`, 'dev', veth]);
    await ipIn(pod.ns, ['addr', 'add', `${pod.ip}/32`, 'dev', 'eth0']);
    await ipIn(pod.ns, ['link', 'set', 'eth0', 'up']);
    await ipIn(pod.ns, ['route', 'add', gateway, 'dev', 'eth0', 'scope', 'link']);
    await ipIn(pod.ns, ['route', 'add', 'default', 'via', gateway, 'dev', 'eth0']);
    return pod;
  }

  /** Starts a long-running process at `place`, logging to `<runDir>/<name>.log`; stopped by teardown. */
  async start(place: Place, spec: Omit<ProcessSpec, 'logFile'>): Promise<ManagedProcess> {
    const ns = typeof place === 'string' ? place : place.ns;
    if (!this.namespaces.has(ns)) throw new Error(`namespace ${ns} is not part of this cluster`);
    const logFile = join(this.runDir, `${spec.name.replace(/[^\w.-]/g, '_')}.log`);
    const started = await startProcess(ns, { ...spec, logFile });
    this.processes.push(started);
    return started;
  }

  /** The last `lines` lines of every process's log, headed by its name: for a failed test's report. */
  async logTails(lines = 20): Promise<string> {
    const parts = await Promise.all(
      this.processes.map(async (p) => {
        const tail = (await p.log()).trimEnd().split('\n').slice(-lines).join('\n');
        return `--- ${p.name} (pid ${p.pid} in ${p.ns}) ---\n${tail}`;
      }),
    );
    return parts.join('\n');
  }

  /** Each node's addresses, routes and nat rules, as the tools print them: for a failed test's report. */
  async networkState(): Promise<string> {
    const parts = await Promise.all(
      this.nodes.map(async (node) => {
        const outputs = await Promise.all([
          runIn(node.ns, 'ip', ['-br', 'addr']),
          runIn(node.ns, 'ip', ['route']),
          runIn(node.ns, 'iptables-save', ['-t', 'nat']),
        ]);
        return `--- ${node.name} (${node.ns}) ---\n${outputs.map((o) => o.stdout.trimEnd()).join('\n')}`;
      }),
    );
    return parts.join('\n');
  }

  /** What to look for after teardown: this cluster's names, namespaces (by inode) and processes. */
  leftoverQuery(): LeftoverQuery {
    return {
      prefix: this.prefix,
      linkTag: this.tag,
      inodes: [...this.namespaces.values()],
      pids: this.processes.map((p) => p.pid),
    };
  }

  /**
   * Stops every process, deletes every namespace (pods first) and the log directory. Never throws: returns
   * what could not be undone, for the caller to assert empty.
   */
  async teardown(): Promise<string[]> {
    if (this.tornDown) return [];
    this.tornDown = true;
    const problems: string[] = [];
    await Promise.all(
      this.processes.map((p) =>
        p.stop().catch((e: unknown) => problems.push(`stop ${p.name}: ${String(e)}`)),
      ),
    );
    for (const ns of [...this.namespaces.keys()].reverse()) {
      await deleteNamespace(ns).catch((e: unknown) => problems.push(`delete ${ns}: ${String(e)}`));
    }
    if (!this.keepLogs) await rm(this.runDir, { recursive: true, force: true });
    return problems;
  }

  private async build(): Promise<void> {
    await this.addNamespace(this.hubNs);
    const bridge = this.nextLink('b');
    await ipIn(this.hubNs, ['link', 'add', bridge, 'type', 'bridge']);
    await ipIn(this.hubNs, ['link', 'set', bridge, 'up']);
    await this.addNamespace(this.controlPlane.ns);
    await this.joinBridge(bridge, this.controlPlane.ns, this.controlPlane.ip);
    for (const node of this.nodes) {
      await this.addNamespace(node.ns);
      await this.joinBridge(bridge, node.ns, node.ip);
      await sysctlIn(node.ns, 'net.ipv4.ip_forward', '1');
      await sysctlIn(node.ns, 'net.ipv4.conf.all.rp_filter', '0');
      await sysctlIn(node.ns, 'net.ipv4.conf.default.rp_filter', '0');
      // The service range needs a route for the node's own connections to reach OUTPUT's DNAT: a veth whose
      // peer stays down (a sink that drops what no rule matched; not every kernel has the dummy driver).
      const services = this.nextLink('s');
      await ipIn(node.ns, ['link', 'add', services, 'type', 'veth', 'peer', 'name', this.nextLink('s')]);
      await ipIn(node.ns, ['link', 'set', services, 'up']);
      await ipIn(node.ns, ['route', 'add', SERVICE_CIDR, 'dev', services]);
    }
    // Every node, and the control plane, reaches each other node's pods through that node.
    for (const node of this.nodes) {
      for (const from of [this.controlPlane.ns, ...this.nodes.filter((n) => n !== node).map((n) => n.ns)]) {
        await ipIn(from, ['route', 'add', node.podCidr, 'via', node.ip]);
      }
    }
    await this.kubeProxy.sync();
  }

  private async joinBridge(bridge: string, ns: string, ip: string): Promise<void> {
    const hubSide = this.nextLink('h');
    await ipIn(this.hubNs, ['link', 'add', hubSide, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns]);
    await ipIn(this.hubNs, ['link', 'set', hubSide, 'master', bridge]);
    await ipIn(this.hubNs, ['link', 'set', hubSide, 'up']);
    await ipIn(ns, ['addr', 'add', `${ip}/${NODE_NETWORK_PREFIX}`, 'dev', 'eth0']);
    await ipIn(ns, ['link', 'set', 'eth0', 'up']);
  }

  private async addNamespace(ns: string): Promise<void> {
    if (this.tornDown) throw new Error('the cluster has been torn down');
    this.namespaces.set(ns, -1);
    this.namespaces.set(ns, await createNamespace(ns));
  }

  private nextLink(role: 'b' | 'h' | 'p' | 's'): string {
    this.links += 1;
    return linkName(this.tag, role, this.links);
  }
}
