/**
 * Local mode: the whole mesh on one machine. It starts the in-memory API server, seeds it (namespaces, the
 * SMI CRDs, the sample Services and Pods), runs the dns-controller and one node-proxy as the same binaries a
 * cluster runs, plays kube-proxy's part for shadow ClusterIPs, and starts the sample pods.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type ApiServer, startApiServer } from '@nodemesh/apiserver';
import { createLogger, type KubeConnection, loadKubeConfig, ResourceInformer } from '@nodemesh/kube-runtime';
import {
  DEFAULT_MESH_NAMESPACE,
  gatewayCustomResourceDefinitions,
  shadowListSelector,
  smiCustomResourceDefinitions,
} from '@nodemesh/smi-types';
import { parseAllDocuments } from 'yaml';
import { applyObject, type KubeObjectRef, putStatus } from './api-client.js';
import { startChild } from './child-process.js';
import { Forwarder } from './kube-proxy/forwarder.js';
import { forwardingRules } from './kube-proxy/forwarding-rules.js';
import {
  clusterObjects,
  componentObjects,
  DNS_CONTROLLER_POD,
  dnsControllerArgs,
  NODE_PROXY_POD,
  nodeProxyArgs,
  nodeProxyPod,
} from './mesh-objects.js';
import { ProjectedToken } from './projected-token.js';
import { podManifest, samplePods } from './sample-pods.js';
import type { LocalSettings } from './settings.js';
import { Supervisor } from './supervisor.js';

export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url)).replace(/\/$/, '');
const componentBin = (pkg: string) => `${REPO_ROOT}/packages/${pkg}/dist/bin.js`;
/** The built sample programs (also when this file runs from its TypeScript source, as in tests). */
const sampleProgram = (program: string) => `${REPO_ROOT}/packages/local/dist/samples/${program}.js`;

export interface LocalMesh {
  readonly server: string;
  /** Each process by name (components and sample pods), kept running: a killed one is started again. */
  readonly processes: ReadonlyMap<string, Supervisor>;
  stop(): Promise<void>;
}

/** Reads a YAML file of Kubernetes objects (several documents). */
export function readManifests(path: string): KubeObjectRef[] {
  return parseAllDocuments(readFileSync(path, 'utf8'))
    .map((document) => document.toJSON() as KubeObjectRef | null)
    .filter((object): object is KubeObjectRef => object !== null);
}

export async function startLocalMesh(
  settings: LocalSettings,
  print: (line: string) => void,
): Promise<LocalMesh> {
  const processes = new Map<string, Supervisor>();
  const supervise = (name: string, args: readonly string[], env: Readonly<Record<string, string>>) =>
    processes.set(name, new Supervisor({ name, start: () => startChild(name, args, env, print), print }));
  let apiServer: ApiServer | undefined;
  const forwarder = new Forwarder();
  let shadowInformer: ResourceInformer | undefined;
  let token: ProjectedToken | undefined;

  const stop = async () => {
    const running = [...processes.values()].reverse();
    processes.clear();
    await Promise.all(running.map((supervisor) => supervisor.stop()));
    await shadowInformer?.stop();
    await token?.stop();
    await forwarder.close();
    await apiServer?.stop();
  };

  try {
    apiServer = await startApiServer({ port: settings.apiPort, serviceCidr: settings.serviceCidr });
    const server = apiServer.url;
    await seedCluster(server, settings);

    const { config } = await loadKubeConfig({ server });
    // What a projected volume gives the node-proxy on a cluster: its pod-bound token for the issuer. The Pod
    // comes first, since the token is bound to it.
    token = await ProjectedToken.prepare(server, DEFAULT_MESH_NAMESPACE, NODE_PROXY_POD);
    await registerObjects(server, [nodeProxyPod(settings, server, token.file, new Date())]);
    await token.start();
    shadowInformer = watchShadowServices(config, settings, forwarder, print);

    supervise('dns-controller', [componentBin('dns-controller'), ...dnsControllerArgs(settings, server)], {
      POD_NAME: DNS_CONTROLLER_POD,
      POD_NAMESPACE: DEFAULT_MESH_NAMESPACE,
    });
    supervise('node-proxy', [componentBin('node-proxy'), ...nodeProxyArgs(settings, server, token.file)], {
      NODE_NAME: settings.nodeName,
    });
    await waitReady(`http://127.0.0.1:${settings.dnsAdminPort}/readyz`, 'dns-controller');
    await waitReady(`http://127.0.0.1:${settings.proxyAdminPort}/readyz`, 'node-proxy');
    await registerObjects(server, componentObjects(settings, server, token.file, new Date()));

    const meshDns = `${settings.dnsHost}:${settings.dnsPort}`;
    for (const pod of samplePods(meshDns, settings.podPrefix)) {
      supervise(pod.name, [sampleProgram(pod.program)], { ...pod.env, POD_IP: pod.ip });
    }
    return { server, processes, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

async function seedCluster(server: string, settings: LocalSettings): Promise<void> {
  const namespace = (name: string): KubeObjectRef => ({
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name },
  });
  await applyObject(server, namespace(DEFAULT_MESH_NAMESPACE));
  await applyObject(server, { apiVersion: 'v1', kind: 'Node', metadata: { name: settings.nodeName } });
  await registerObjects(server, clusterObjects(settings));
  // The SMI kinds and the Gateway API kinds Nodemesh reads (on a cluster, users install the upstream ones).
  for (const crd of [...smiCustomResourceDefinitions(), ...gatewayCustomResourceDefinitions()])
    await applyObject(server, crd as unknown as KubeObjectRef);
  const examples = `${REPO_ROOT}/deploy/examples`;
  const files = ['bookstore-services.yaml', 'traffic-split-v1.yaml'];
  if (settings.accessControl) files.push('access-bookbuyer.yaml', 'access-echo.yaml');
  for (const file of files) {
    for (const object of readManifests(`${examples}/${file}`)) await applyObject(server, object);
  }
  const now = new Date();
  for (const pod of samplePods(`${settings.dnsHost}:${settings.dnsPort}`, settings.podPrefix)) {
    const manifest = podManifest(pod, settings.nodeName, now) as unknown as KubeObjectRef & {
      status: unknown;
    };
    await applyObject(server, manifest);
    await putStatus(server, manifest);
  }
}

/** Creates (or replaces) each object, then writes its status when it has one (there is no kubelet). */
async function registerObjects(server: string, objects: readonly (KubeObjectRef & { status?: unknown })[]) {
  for (const object of objects) {
    await applyObject(server, object);
    if (object.status !== undefined) await putStatus(server, object as KubeObjectRef & { status: unknown });
  }
}

function watchShadowServices(
  config: KubeConnection,
  settings: LocalSettings,
  forwarder: Forwarder,
  print: (line: string) => void,
): ResourceInformer {
  const logger = createLogger({ component: 'local-kube-proxy', level: 'warn' });
  let pending = Promise.resolve();
  const resync = () => {
    const plan = forwardingRules(informer.objects(), settings.nodeIP);
    for (const problem of plan.problems) print(`[kube-proxy] skipping shadow ${problem.shadow}`);
    pending = pending.then(() => forwarder.apply(plan.rules, (message) => print(`[kube-proxy] ${message}`)));
  };
  const informer: ResourceInformer = new ResourceInformer({
    name: 'shadow-services',
    config,
    path: `/api/v1/namespaces/${DEFAULT_MESH_NAMESPACE}/services`,
    labelSelector: shadowListSelector(),
    logger,
    handlers: { onAdd: resync, onUpdate: resync, onDelete: resync, onSynced: resync },
  });
  informer.start();
  return informer;
}

async function waitReady(url: string, name: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`${name} did not become ready within ${timeoutMs / 1000} s (${url})`);
}
