/**
 * The objects the suite registers with the API server, as pure builders. There is no kubelet: a "pod" here
 * is a harness namespace running a process, and its Pod object (with the status a kubelet would write:
 * Running, Ready, its IP) is what the mesh's components read.
 */

export const MESH_NAMESPACE = 'nodemesh';

type Labels = Readonly<Record<string, string>>;

export interface PodManifestOptions {
  readonly namespace: string;
  readonly name: string;
  readonly node: string;
  readonly ip: string;
  readonly labels?: Labels;
  readonly serviceAccount?: string;
  readonly hostNetwork?: boolean;
  readonly ready?: boolean;
}

export function namespaceManifest(name: string) {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name } };
}

export function podManifest(options: PodManifestOptions) {
  const ready = options.ready ?? true;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: options.name, namespace: options.namespace, labels: { ...(options.labels ?? {}) } },
    spec: {
      nodeName: options.node,
      serviceAccountName: options.serviceAccount ?? 'default',
      ...(options.hostNetwork ? { hostNetwork: true } : {}),
      containers: [{ name: 'main', image: 'e2e.invalid/process-in-a-namespace:0' }],
    },
    status: {
      phase: 'Running',
      podIP: options.ip,
      podIPs: [{ ip: options.ip }],
      conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }],
    },
  };
}

/** The status a kubelet would write when the pod's readiness changes. */
export function podReadyStatus(ip: string, ready: boolean) {
  return {
    status: {
      phase: 'Running',
      podIP: ip,
      podIPs: [{ ip }],
      conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }],
    },
  };
}

export interface ServicePortSpec {
  readonly name: string;
  readonly port: number;
  readonly targetPort: number;
  readonly protocol?: 'TCP' | 'UDP';
}

export interface ServiceManifestOptions {
  readonly namespace: string;
  readonly name: string;
  readonly selector: Labels;
  readonly ports: readonly ServicePortSpec[];
  readonly annotations?: Labels;
  readonly clusterIP?: string;
}

export function serviceManifest(options: ServiceManifestOptions) {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      name: options.name,
      namespace: options.namespace,
      annotations: { ...(options.annotations ?? {}) },
    },
    spec: {
      ...(options.clusterIP === undefined ? {} : { clusterIP: options.clusterIP }),
      selector: { ...options.selector },
      ports: options.ports.map((p) => ({ protocol: 'TCP', ...p })),
    },
  };
}

/** A TrafficSplit (split.smi-spec.io/v1alpha4) as YAML for `kubectl apply`. */
export function trafficSplitYaml(
  namespace: string,
  name: string,
  service: string,
  backends: readonly { readonly service: string; readonly weight: number | string }[],
): string {
  const lines = [
    'apiVersion: split.smi-spec.io/v1alpha4',
    'kind: TrafficSplit',
    'metadata:',
    `  name: ${name}`,
    `  namespace: ${namespace}`,
    'spec:',
    `  service: ${service}`,
    '  backends:',
    ...backends.flatMap((b) => [`    - service: ${b.service}`, `      weight: ${JSON.stringify(b.weight)}`]),
  ];
  return `${lines.join('\n')}\n`;
}

/**
 * An HTTPRoute (Gateway API) attached to Service `parent`, one rule with weighted backends, as JSON (which
 * kubectl reads like YAML).
 */
export function httpRouteJson(
  namespace: string,
  name: string,
  parent: string,
  port: number,
  backends: readonly { readonly service: string; readonly weight: number }[],
): string {
  return JSON.stringify({
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'HTTPRoute',
    metadata: { name, namespace },
    spec: {
      parentRefs: [{ group: '', kind: 'Service', name: parent, port }],
      rules: [{ backendRefs: backends.map((b) => ({ name: b.service, port, weight: b.weight })) }],
    },
  });
}
