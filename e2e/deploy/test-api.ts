/**
 * The test's own requests to the in-memory API server, sent with a User-Agent of their own so the audit hook's
 * record of a component's calls can leave them out.
 */
import {
  allocatePorts,
  DEFAULT_TCP_PORT_RANGE,
  DEFAULT_UDP_PORT_RANGE,
  desiredShadowService,
  gatewayCustomResourceDefinitions,
  readUserService,
  smiCustomResourceDefinitions,
} from '@nodemesh/smi-types';

export const TEST_USER_AGENT = 'nodemesh-rbac-calls-test';

export type Json = Record<string, unknown>;

export class TestApi {
  constructor(readonly url: string) {}

  /** A JSON request; throws on any status of 300 or more, naming the request. */
  async call(method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<Json> {
    const res = await fetch(`${this.url}${path}`, {
      method,
      headers: { 'content-type': contentType, 'user-agent': TEST_USER_AGENT },
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

  /** The Gateway API kinds Nodemesh reads, as the in-memory API server serves them. */
  async installGatewayCrds(): Promise<void> {
    for (const crd of gatewayCustomResourceDefinitions()) {
      await this.create('/apis/apiextensions.k8s.io/v1/customresourcedefinitions', crd);
    }
  }

  /** A ClusterIP Service with one HTTP port 80 → 8080. */
  service(ns: string, name: string, annotations: Record<string, string> = {}): Promise<Json> {
    return this.create(`/api/v1/namespaces/${ns}/services`, {
      metadata: { name, annotations },
      spec: {
        selector: { app: name },
        ports: [{ name: 'http', port: 80, protocol: 'TCP', targetPort: 8080 }],
      },
    });
  }

  /** A Running, Ready pod labelled `app: <app>` on `node`, running as `serviceAccount`. */
  pod(ns: string, name: string, app: string, node: string, serviceAccount: string): Promise<Json> {
    return this.create(`/api/v1/namespaces/${ns}/pods`, {
      metadata: { name, labels: { app } },
      spec: {
        nodeName: node,
        serviceAccountName: serviceAccount,
        containers: [{ name: 'app', image: 'app' }],
      },
      status: {
        phase: 'Running',
        podIP: '127.0.0.1',
        podIPs: [{ ip: '127.0.0.1' }],
        conditions: [{ type: 'Ready', status: 'True' }],
      },
    });
  }

  /** The shadow of an http user Service, as the dns-controller writes it. */
  async shadow(user: Json, meshNamespace: string, annotations: Record<string, string>): Promise<Json> {
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

  /** Creates or replaces a TrafficSplit of `root` over `backends` (service, weight). */
  async applySplit(ns: string, name: string, root: string, backends: [string, number][]): Promise<Json> {
    const collection = `/apis/split.smi-spec.io/v1alpha4/namespaces/${ns}/trafficsplits`;
    const split = {
      apiVersion: 'split.smi-spec.io/v1alpha4',
      kind: 'TrafficSplit',
      metadata: { namespace: ns, name },
      spec: { service: root, backends: backends.map(([service, weight]) => ({ service, weight })) },
    };
    const list = await this.call('GET', `${collection}?fieldSelector=metadata.name%3D${name}`);
    const current = Array.isArray(list.items) ? (list.items[0] as Json | undefined) : undefined;
    if (current === undefined) return this.create(collection, split);
    const meta = current.metadata as { resourceVersion: string };
    return this.call('PUT', `${collection}/${name}`, {
      ...split,
      metadata: { ...split.metadata, resourceVersion: meta.resourceVersion },
    });
  }

  /** Events about one object. */
  async events(ns: string, name: string): Promise<{ reason: string; count: number }[]> {
    const list = (await this.call('GET', `/api/v1/namespaces/${ns}/events`)) as {
      items: { reason: string; count: number; involvedObject: { name: string } }[];
    };
    return list.items.filter((e) => e.involvedObject.name === name);
  }
}

/** Polls `check` every 25 ms until it holds, failing after `timeoutMs`: bounded in count and time. */
export async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      if (await check()) return;
    } catch (error) {
      lastError = error;
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(
    `timed out after ${timeoutMs} ms waiting for ${what}${lastError ? `: ${String(lastError)}` : ''}`,
  );
}
