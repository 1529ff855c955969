/**
 * Local mode: the whole mesh on one machine. It starts the in-memory API server, seeds it (namespaces, two
 * nodes, the SMI CRDs, the sample Services and Pods), runs the dns-controller and a node-proxy per node as the
 * same binaries a cluster runs, plays kube-proxy's part for shadow ClusterIPs, and starts the sample pods.
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
import { localNodes } from './local-nodes.js';
import {
  clusterObjects,
  componentObjects,
  DNS_CONTROLLER_POD,
  dnsControllerArgs,
  type LocalNodeProxy,
  nodeProxyArgs,
  nodeProxyPod,
} from './mesh-objects.js';
import { ProjectedToken } from './projected-token.js';
import { podManifest, type SamplePod, samplePods } from './sample-pods.js';
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
  const tokens: ProjectedToken[] = [];

  const stop = async () => {
    const running = [...processes.values()].reverse();
    processes.clear();
    await Promise.all(running.map((supervisor) => supervisor.stop()));
    await shadowInformer?.stop();
    await Promise.all(tokens.map((token) => token.stop()));
    await forwarder.close();
    await apiServer?.stop();
  };

  try {
    apiServer = await startApiServer({ port: settings.apiPort, serviceCidr: settings.serviceCidr });
    const server = apiServer.url;
    await seedCluster(server, settings);

    const { config } = await loadKubeConfig({ server });
    // What a projected volume gives each node-proxy on a cluster: its pod-bound token for the issuer. The Pod
    // comes first, since the token is bound to it; it also tells the other node's proxy where the tunnel is.
    const proxies: LocalNodeProxy[] = [];
    for (const node of localNodes(settings)) {
      const token = await ProjectedToken.prepare(server, DEFAULT_MESH_NAMESPACE, node.proxyPod);
      tokens.push(token);
      const proxy = { node, tokenFile: token.file };
      await registerObjects(server, [nodeProxyPod(settings, proxy, server, new Date())]);
      await token.start();
      proxies.push(proxy);
    }
    shadowInformer = watchShadowServices(config, settings, forwarder, print);

    supervise('dns-controller', [componentBin('dns-controller'), ...dnsControllerArgs(settings, server)], {
      POD_NAME: DNS_CONTROLLER_POD,
      POD_NAMESPACE: DEFAULT_MESH_NAMESPACE,
    });
    for (const { node, tokenFile } of proxies) {
      supervise(
        node.process,
        [componentBin('node-proxy'), ...nodeProxyArgs(settings, node, server, tokenFile)],
        {
          NODE_NAME: node.name,
        },
      );
    }
    await waitReady(`http://127.0.0.1:${settings.dnsAdminPort}/readyz`, 'dns-controller');
    for (const { node } of proxies) {
      await waitReady(`http://${node.adminHost}:${node.adminPort}/readyz`, node.process);
    }
    await registerObjects(server, componentObjects(settings, server, proxies, new Date()));

    for (const pod of sampleWorkloads(settings)) {
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
  for (const node of localNodes(settings))
    await applyObject(server, { apiVersion: 'v1', kind: 'Node', metadata: { name: node.name } });
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
  for (const pod of sampleWorkloads(settings)) {
    const manifest = podManifest(pod, now) as unknown as KubeObjectRef & {
      status: unknown;
    };
    await applyObject(server, manifest);
    await putStatus(server, manifest);
  }
}

function sampleWorkloads(settings: LocalSettings): readonly SamplePod[] {
  return samplePods(`${settings.dnsHost}:${settings.dnsPort}`, settings.podPrefix, {
    first: settings.nodeName,
    second: settings.secondNodeName,
  });
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
    // Every shadow ClusterIP leads to the first node's proxy, as `internalTrafficPolicy: Local` does for a
    // caller there: every caller runs on the first node. The second node's proxy is reached only through the
    // tunnel, by the first, for bookstore-v2.
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
