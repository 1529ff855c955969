/**
 * The cluster side of the wiring tests: objects created through the in-memory API server's REST API, the way
 * kubectl, the kubelet and the dns-controller would create them.
 */
import { KubeConfig } from '@kubernetes/client-node';
import {
  type AllocationTable,
  allocatePorts,
  DEFAULT_MESH_DEFAULTS,
  DEFAULT_TCP_PORT_RANGE,
  DEFAULT_UDP_PORT_RANGE,
  desiredShadowService,
  findAllocation,
  type MeshServicePorts,
  type PortAllocation,
  parseServiceAnnotations,
  readUserService,
  smiCustomResourceDefinitions,
} from '@nodemesh/smi-types';

/** A KubeConfig for the test server, with no credentials. */
export function kubeConfigFor(url: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromClusterAndUser({ name: 'local', server: url, skipTLSVerify: true }, { name: 'nobody' });
  return kc;
}

export type Json = Record<string, unknown>;

/** JSON requests against the API server; throws on any status but the expected ones. */
export class Api {
  /** The Services `meshShadow` wrote shadows for, and their allocations, as the dns-controller keeps them. */
  readonly #meshed: MeshServicePorts[] = [];
  #allocations: readonly PortAllocation[] = [];

  constructor(readonly url: string) {}

  async call(method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<Json> {
    const res = await fetch(`${this.url}${path}`, {
      method,
      headers: { 'content-type': contentType },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const parsed = (await res.json()) as Json;
    if (res.status >= 300)
      throw new Error(`${method} ${path}: HTTP ${res.status}: ${JSON.stringify(parsed)}`);
    return parsed;
  }

  create(path: string, body: unknown): Promise<Json> {
    return this.call('POST', path, body);
  }

  mergePatch(path: string, patch: unknown): Promise<Json> {
    return this.call('PATCH', path, patch, 'application/merge-patch+json');
  }

  async namespace(name: string): Promise<void> {
    await this.create('/api/v1/namespaces', { metadata: { name } });
  }

  async installSmiCrds(): Promise<void> {
    for (const crd of smiCustomResourceDefinitions()) {
      await this.create('/apis/apiextensions.k8s.io/v1/customresourcedefinitions', crd);
    }
  }

  /** A ClusterIP Service selecting `selector`, one HTTP port 80 → `targetPort`. */
  service(
    ns: string,
    name: string,
    selector: Record<string, string>,
    targetPort: number | string,
  ): Promise<Json> {
    return this.create(`/api/v1/namespaces/${ns}/services`, {
      metadata: { name },
      spec: { selector, ports: [{ name: 'http', port: 80, protocol: 'TCP', targetPort }] },
    });
  }

  /** A Running pod with an IP, Ready or not, on `node`; `http` names a container port. */
  pod(ns: string, name: string, opts: PodOptions): Promise<Json> {
    return this.create(`/api/v1/namespaces/${ns}/pods`, podObject(name, opts));
  }

  setPodReady(ns: string, name: string, ready: boolean): Promise<Json> {
    return this.mergePatch(`/api/v1/namespaces/${ns}/pods/${name}/status`, {
      status: { conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] },
    });
  }

  /** Writes the shadow of a user Service as the dns-controller would (`desiredShadowService`). */
  async shadow(
    user: Json,
    meshNamespace = 'nodemesh',
    annotations: Record<string, string> = {},
  ): Promise<Json> {
    const parsed = readUserService(user);
    if (!parsed.ok) throw new Error(`bad user Service: ${JSON.stringify(parsed.errors)}`);
    const svc = parsed.value;
    const table = allocatePorts({
      existing: [],
      services: [{ of: { namespace: svc.namespace, name: svc.name }, trafficType: 'http', ports: svc.ports }],
      tcpRange: DEFAULT_TCP_PORT_RANGE,
      udpRange: DEFAULT_UDP_PORT_RANGE,
    });
    const manifest = desiredShadowService(svc, { trafficType: 'http' }, table, { meshNamespace });
    return this.create(`/api/v1/namespaces/${meshNamespace}/services`, {
      ...manifest,
      metadata: { ...manifest.metadata, annotations: { ...manifest.metadata.annotations, ...annotations } },
    });
  }

  /**
   * Writes the shadow of a user Service the way the dns-controller does: the traffic type from its
   * annotations, TCP/UDP ports allocated in one table shared by every shadow this Api wrote (so two tcp
   * Services get different proxy ports). Returns the proxy port of each of the Service's TCP/UDP ports,
   * keyed `TCP/5432`.
   */
  async meshShadow(user: Json, meshNamespace = 'nodemesh'): Promise<Map<string, number>> {
    const parsed = readUserService(user);
    if (!parsed.ok) throw new Error(`bad user Service: ${JSON.stringify(parsed.errors)}`);
    const svc = parsed.value;
    const config = parseServiceAnnotations(svc.annotations, DEFAULT_MESH_DEFAULTS);
    if (!config.ok) throw new Error(`bad annotations: ${JSON.stringify(config.errors)}`);
    const of = { namespace: svc.namespace, name: svc.name };
    this.#meshed.push({ of, trafficType: config.value.trafficType, ports: svc.ports });
    const table: AllocationTable = allocatePorts({
      existing: this.#allocations,
      services: this.#meshed,
      tcpRange: DEFAULT_TCP_PORT_RANGE,
      udpRange: DEFAULT_UDP_PORT_RANGE,
    });
    if (table.errors.length > 0) throw new Error(`allocation: ${JSON.stringify(table.errors)}`);
    this.#allocations = table.allocations;
    const manifest = desiredShadowService(svc, { trafficType: config.value.trafficType }, table, {
      meshNamespace,
    });
    await this.create(`/api/v1/namespaces/${meshNamespace}/services`, manifest);
    const ports = new Map<string, number>();
    for (const { protocol, port } of svc.ports) {
      if (protocol === 'SCTP') continue;
      const proxyPort = findAllocation(table.allocations, of, protocol, port);
      if (proxyPort !== undefined) ports.set(`${protocol}/${port}`, proxyPort);
    }
    return ports;
  }

  trafficSplit(ns: string, name: string, root: string, backends: [string, unknown][]): Json {
    return {
      apiVersion: 'split.smi-spec.io/v1alpha4',
      kind: 'TrafficSplit',
      metadata: { namespace: ns, name },
      spec: { service: root, backends: backends.map(([service, weight]) => ({ service, weight })) },
    };
  }

  /** Creates or replaces a TrafficSplit. */
  async applySplit(split: Json): Promise<Json> {
    const meta = split.metadata as { namespace: string; name: string };
    const collection = `/apis/split.smi-spec.io/v1alpha4/namespaces/${meta.namespace}/trafficsplits`;
    const res = await fetch(`${this.url}${collection}/${meta.name}`);
    if (res.status === 404) return this.create(collection, split);
    const current = (await res.json()) as { metadata: { resourceVersion: string } };
    return this.call('PUT', `${collection}/${meta.name}`, {
      ...split,
      metadata: { ...(split.metadata as Json), resourceVersion: current.metadata.resourceVersion },
    });
  }

  /** Events about one object, newest last. */
  async events(ns: string, name: string): Promise<{ reason: string; message: string; type: string }[]> {
    const list = (await this.call('GET', `/api/v1/namespaces/${ns}/events`)) as {
      items: { reason: string; message: string; type: string; involvedObject: { name: string } }[];
    };
    return list.items.filter((e) => e.involvedObject.name === name);
  }
}

export interface PodOptions {
  readonly node: string;
  readonly ip: string;
  readonly labels: Record<string, string>;
  readonly ready?: boolean;
  readonly httpPort?: number;
  readonly serviceAccount?: string;
  readonly owner?: { kind: string; name: string };
}

function podObject(name: string, opts: PodOptions): Json {
  return {
    metadata: {
      name,
      labels: opts.labels,
      ...(opts.owner === undefined
        ? {}
        : {
            ownerReferences: [
              { apiVersion: 'apps/v1', ...opts.owner, uid: `uid-${opts.owner.name}`, controller: true },
            ],
          }),
    },
    spec: {
      nodeName: opts.node,
      serviceAccountName: opts.serviceAccount ?? 'default',
      containers: [
        {
          name: 'app',
          image: 'app',
          ...(opts.httpPort === undefined ? {} : { ports: [{ name: 'http', containerPort: opts.httpPort }] }),
        },
      ],
    },
    status: {
      phase: 'Running',
      podIP: opts.ip,
      podIPs: [{ ip: opts.ip }],
      conditions: [{ type: 'Ready', status: opts.ready === false ? 'False' : 'True' }],
    },
  };
}

/** Polls `check` every 20 ms until it holds, failing after `timeoutMs`: bounded in count and time. */
export async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      if (await check()) return;
    } catch (error) {
      lastError = error;
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(
    `timed out after ${timeoutMs} ms waiting for ${what}${lastError ? `: ${String(lastError)}` : ''}`,
  );
}
