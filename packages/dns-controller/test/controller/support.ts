/** Test helpers: an in-memory API server with the mesh namespace, the DNS Service and a CoreDNS ConfigMap. */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { type ApiServer, startApiServer } from '@nodemesh/apiserver';
import { serverConnection, silentLogger } from '@nodemesh/kube-runtime';
import { type DnsController, type DnsControllerOptions, startDnsController } from '../../src/index.js';

const run = promisify(execFile);

export const COREFILE = `.:53 {
    errors
    health
    kubernetes cluster.local in-addr.arpa ip6.arpa {
       pods insecure
       fallthrough in-addr.arpa ip6.arpa
    }
    forward . /etc/resolv.conf
    cache 30
}
`;

/** A JSON request against the API server; returns status and parsed body. */
export async function call(
  server: ApiServer,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const init: RequestInit = { method, headers: { 'Content-Type': 'application/json' } };
  if (body !== undefined) init.body = JSON.stringify(body);
  const res = await fetch(`${server.url}${path}`, init);
  const text = await res.text();
  let parsed: Record<string, unknown> = {};
  try {
    parsed = JSON.parse(text) as Record<string, unknown>;
  } catch {
    parsed = { text };
  }
  return { status: res.status, body: parsed };
}

async function must(server: ApiServer, method: string, path: string, body?: unknown) {
  const result = await call(server, method, path, body);
  if (result.status >= 300)
    throw new Error(`${method} ${path}: ${result.status} ${JSON.stringify(result.body)}`);
  return result.body;
}

/** An API server with namespaces nodemesh and shop, the nodemesh-dns Service and kube-system/coredns. */
export async function startCluster(): Promise<ApiServer> {
  const server = await startApiServer();
  for (const name of ['nodemesh', 'shop', 'web']) {
    await must(server, 'POST', '/api/v1/namespaces', {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name },
    });
  }
  await must(server, 'POST', '/api/v1/namespaces/nodemesh/services', {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'nodemesh-dns' },
    spec: { selector: { app: 'dns' }, ports: [{ name: 'dns', port: 53, targetPort: 5353, protocol: 'UDP' }] },
  });
  await must(server, 'POST', '/api/v1/namespaces/kube-system/configmaps', {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'coredns' },
    data: { Corefile: COREFILE },
  });
  return server;
}

export function controllerOptions(
  server: ApiServer,
  overrides: Partial<DnsControllerOptions> = {},
): DnsControllerOptions {
  return {
    kubeConfig: serverConnection(server.url),
    logger: silentLogger,
    dnsHost: '127.0.0.1',
    dnsPort: 0,
    adminHost: '127.0.0.1',
    adminPort: 0,
    dnsTtlSeconds: 5,
    syncMinIntervalMs: 50,
    resyncIntervalMs: 2_000,
    leaseDurationMs: 1_000,
    leaseRenewDeadlineMs: 800,
    leaseRetryPeriodMs: 100,
    ...overrides,
  };
}

export function startController(
  server: ApiServer,
  overrides: Partial<DnsControllerOptions> = {},
): Promise<DnsController> {
  return startDnsController(controllerOptions(server, overrides));
}

export async function createService(
  server: ApiServer,
  namespace: string,
  name: string,
  ports: { name?: string; port: number; protocol?: string }[],
  annotations: Record<string, string> = {},
) {
  return must(server, 'POST', `/api/v1/namespaces/${namespace}/services`, {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, annotations },
    spec: { selector: { app: name }, ports },
  });
}

export const shadowPath = (name: string) => `/api/v1/namespaces/nodemesh/services/${name}`;

/** The shadow Services in the API server, by the user Service they stand for (`ns/name`). */
export async function shadowsByService(server: ApiServer): Promise<Map<string, Record<string, unknown>>> {
  const list = await must(
    server,
    'GET',
    '/api/v1/namespaces/nodemesh/services?labelSelector=app.kubernetes.io%2Fpart-of%3Dnodemesh',
  );
  const items = (list.items ?? []) as { metadata: { labels: Record<string, string> } }[];
  return new Map(
    items.map((item) => [
      `${item.metadata.labels['nodemesh.io/shadow-of-namespace']}/${item.metadata.labels['nodemesh.io/shadow-of-name']}`,
      item as unknown as Record<string, unknown>,
    ]),
  );
}

export function targetPorts(shadow: Record<string, unknown> | undefined): number[] {
  const spec = (shadow?.spec ?? {}) as { ports?: { targetPort: number }[] };
  return (spec.ports ?? []).map((p) => p.targetPort);
}

export function clusterIpOf(obj: Record<string, unknown> | undefined): string | undefined {
  return (obj?.spec as { clusterIP?: string } | undefined)?.clusterIP;
}

/** Polls until `check` holds; bounded in time (and so in count). */
export async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

/** dig @127.0.0.1 -p port, bounded by its own timeout and ours. */
export async function dig(port: number, ...args: string[]): Promise<string> {
  const { stdout } = await run('dig', ['@127.0.0.1', '-p', String(port), '+time=2', '+tries=1', ...args], {
    timeout: 15_000,
  });
  return stdout;
}

export const digStatus = (output: string) => /status: (\w+)/.exec(output)?.[1];

export async function corefile(server: ApiServer): Promise<string> {
  const cm = await must(server, 'GET', '/api/v1/namespaces/kube-system/configmaps/coredns');
  return (cm.data as { Corefile: string }).Corefile;
}
