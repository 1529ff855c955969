/**
 * Reads what `nodemesh check` judges: a few lists and gets, and per mesh pod one /readyz probe and, when it is
 * ready, one read of its /metrics (identity: certificate and root expiries).
 */
import { smiCustomResourceDefinitions } from '@nodemesh/smi-types';
import type { Cluster } from '../kube/cluster.js';
import { viaPodProxy } from '../kube/pod-http.js';
import { type ControllerSettings, defaultSettings, settingsFromPod } from '../mesh/controller-settings.js';
import {
  DNS_CONTROLLER_SELECTOR,
  type MeshPod,
  NODE_PROXY_SELECTOR,
  readMeshPods,
} from '../mesh/mesh-pods.js';
import { parseExposition, type Sample } from '../stat/exposition.js';
import type { MeshObservation, Probe, ProbedPod } from './observation.js';

const CLUSTER_DNS_CONFIG_MAPS = ['coredns', 'coredns-custom', 'kube-dns'];
const CONTROLLER_DEPLOYMENT = 'nodemesh-dns-controller';

export async function probeReady(cluster: Cluster, pod: MeshPod): Promise<Probe> {
  try {
    const answer = await viaPodProxy(cluster, pod, pod.adminPort, '/readyz');
    const line = statusMessage(answer.text) ?? answer.text.split('\n')[0]?.slice(0, 160) ?? '';
    return {
      ready: answer.status === 200,
      detail: `/readyz answered ${answer.status}${line === '' ? '' : `: ${line}`}`,
    };
  } catch (error) {
    return { ready: false, detail: error instanceof Error ? error.message : String(error) };
  }
}

/** The message of a Kubernetes Status (the API server's own error, e.g. the pod could not be reached). */
function statusMessage(text: string): string | undefined {
  try {
    const parsed: unknown = JSON.parse(text);
    const message =
      typeof parsed === 'object' && parsed !== null ? (parsed as { kind?: unknown; message?: unknown }) : {};
    return message.kind === 'Status' && typeof message.message === 'string'
      ? message.message.slice(0, 200)
      : undefined;
  } catch {
    return undefined;
  }
}

/** A pod's /metrics samples through the pod proxy; undefined when they cannot be read. */
async function readMetrics(cluster: Cluster, pod: MeshPod): Promise<readonly Sample[] | undefined> {
  try {
    const answer = await viaPodProxy(cluster, pod, pod.adminPort, '/metrics');
    return answer.status === 200 ? parseExposition(answer.text).samples : undefined;
  } catch {
    return undefined;
  }
}

async function probeAll(cluster: Cluster, pods: readonly MeshPod[]): Promise<ProbedPod[]> {
  return Promise.all(
    pods.map(async (pod) => {
      const probe = await probeReady(cluster, pod);
      return { pod, probe, metrics: probe.ready ? await readMetrics(cluster, pod) : undefined };
    }),
  );
}

function dataOf(object: unknown): Record<string, unknown> {
  const data =
    typeof object === 'object' && object !== null ? (object as { data?: unknown }).data : undefined;
  return typeof data === 'object' && data !== null && !Array.isArray(data)
    ? (data as Record<string, unknown>)
    : {};
}

/** The controller's settings from the first of its pods whose ConfigMaps can be read. */
export async function readControllerSettings(
  cluster: Cluster,
  meshNamespace: string,
  pods: readonly MeshPod[],
): Promise<ControllerSettings> {
  const pod = pods[0];
  if (pod === undefined)
    return defaultSettings(meshNamespace, `no dns-controller pod in namespace ${meshNamespace}`);
  const configMaps = new Map<string, Record<string, unknown>>();
  for (const name of pod.envFromConfigMaps) {
    const object = await cluster.find(
      `/api/v1/namespaces/${encodeURIComponent(pod.namespace)}/configmaps/${encodeURIComponent(name)}`,
    );
    configMaps.set(name, dataOf(object));
  }
  return settingsFromPod(pod, configMaps);
}

export async function gatherMesh(cluster: Cluster, meshNamespace: string): Promise<MeshObservation> {
  const ns = encodeURIComponent(meshNamespace);
  const version = await cluster.get('/version');
  const controllerItems = await cluster.list(`/api/v1/namespaces/${ns}/pods`, {
    label: DNS_CONTROLLER_SELECTOR,
  });
  const controllerPods = readMeshPods(controllerItems);
  const settings = await readControllerSettings(cluster, meshNamespace, controllerPods);
  const config = settings.config;
  const crds = new Map<string, unknown>();
  for (const crd of smiCustomResourceDefinitions()) {
    const name = crd.metadata.name;
    crds.set(name, await cluster.find(`/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${name}`));
  }
  const clusterDnsConfigMaps = new Map<string, unknown>();
  for (const name of CLUSTER_DNS_CONFIG_MAPS) {
    const object = await cluster.find(`/api/v1/namespaces/kube-system/configmaps/${name}`);
    if (object !== undefined) clusterDnsConfigMaps.set(name, object);
  }
  const proxyItems = await cluster.list(`/api/v1/namespaces/${ns}/pods`, { label: NODE_PROXY_SELECTOR });
  const [probedControllers, probedProxies] = await Promise.all([
    probeAll(cluster, controllerPods),
    probeAll(cluster, readMeshPods(proxyItems)),
  ]);
  const versionText =
    typeof version === 'object' && version !== null
      ? (version as { gitVersion?: unknown }).gitVersion
      : undefined;
  return {
    now: Date.now(),
    server: cluster.server,
    serverVersion: typeof versionText === 'string' ? versionText : undefined,
    settings,
    crds,
    controllerDeployment: await cluster.find(
      `/apis/apps/v1/namespaces/${ns}/deployments/${CONTROLLER_DEPLOYMENT}`,
    ),
    controllerPods: probedControllers,
    lease: await cluster.find(
      `/apis/coordination.k8s.io/v1/namespaces/${encodeURIComponent(config.meshNamespace)}/leases/${encodeURIComponent(config.leaseName)}`,
    ),
    clusterDnsConfigMaps,
    dnsService: await cluster.find(
      `/api/v1/namespaces/${encodeURIComponent(config.meshNamespace)}/services/${encodeURIComponent(config.dnsService)}`,
    ),
    nodes: await cluster.list('/api/v1/nodes'),
    proxyPods: probedProxies,
    services: await cluster.list('/api/v1/services'),
    events: await cluster.list('/api/v1/events'),
  };
}
