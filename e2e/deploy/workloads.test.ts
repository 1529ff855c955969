/**
 * The workloads as installed: every container locked down, the DaemonSet upgrade that never leaves a node
 * without its proxy, the dns-controller's availability settings, and configuration that only sets flags the
 * components have (docs/components.md).
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  CLEANUP_JOB_FILE,
  DEPLOY_DIR,
  expandKustomization,
  isRecord,
  type KubeObject,
  OVERLAYS,
  packageVersion,
  podSpec,
  podTemplateContainers,
  RENDERED_FILE,
  readYamlObjects,
} from './manifests.js';

const base = expandKustomization(DEPLOY_DIR, { withoutCrds: true });
const overlay = (name: string) =>
  expandKustomization(join(DEPLOY_DIR, 'overlays', name), { withoutCrds: true });
const cleanupJob = readYamlObjects(CLEANUP_JOB_FILE);

const SOURCES: ReadonlyArray<readonly [string, KubeObject[]]> = [
  ['the default kustomization', base],
  ...OVERLAYS.map((name) => [`overlay ${name}`, overlay(name)] as const),
  ['deploy/nodemesh.yaml', readYamlObjects(RENDERED_FILE)],
  ['the cleanup Job', cleanupJob],
];

const WORKLOAD_KINDS = new Set(['Deployment', 'DaemonSet', 'Job']);
const record = (value: unknown): Record<string, unknown> => (isRecord(value) ? value : {});
const list = (value: unknown): Record<string, unknown>[] =>
  Array.isArray(value) ? value.filter(isRecord) : [];
const find = (objects: readonly KubeObject[], kind: string, name: string): KubeObject => {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
  if (found === undefined) throw new Error(`no ${kind} ${name}`);
  return found;
};
const containerOf = (workload: KubeObject): Record<string, unknown> => {
  const [container, ...rest] = podTemplateContainers(workload);
  if (container === undefined || rest.length > 0)
    throw new Error(`${workload.metadata.name}: expected one container`);
  return container;
};
const env = (container: Record<string, unknown>, name: string): unknown =>
  list(container.env).find((e) => e.name === name)?.valueFrom;

const DNS_DEPLOYMENT = find(base, 'Deployment', 'nodemesh-dns-controller');
const PROXY_DAEMONSET = find(base, 'DaemonSet', 'nodemesh-node-proxy');

describe.each(SOURCES)('%s: every pod and container is locked down', (_name, objects) => {
  const workloads = objects.filter((o) => WORKLOAD_KINDS.has(o.kind));

  it('has workloads', () => {
    expect(workloads.length).toBeGreaterThan(0);
  });

  it.each(workloads.map((w) => [`${w.kind}/${w.metadata.name}`, w] as const))('%s', (_id, workload) => {
    const pod = podSpec(workload);
    if (pod === undefined) throw new Error('no pod template');
    expect(pod.securityContext).toMatchObject({
      runAsNonRoot: true,
      runAsUser: 65532,
      runAsGroup: 65532,
      seccompProfile: { type: 'RuntimeDefault' },
    });
    for (const field of ['hostNetwork', 'hostPID', 'hostIPC']) expect(pod[field] ?? false, field).toBe(false);
    expect(list(pod.volumes).filter((v) => v.hostPath !== undefined)).toEqual([]);
    expect(typeof pod.serviceAccountName).toBe('string');
    // Token mounted only by an explicit choice of a pod that calls the API server.
    expect(pod.automountServiceAccountToken).toBe(true);

    const containers = podTemplateContainers(workload);
    expect(containers.length).toBeGreaterThan(0);
    for (const container of containers) {
      const security = record(container.securityContext);
      expect(security).toMatchObject({
        runAsNonRoot: true,
        runAsUser: 65532,
        runAsGroup: 65532,
        readOnlyRootFilesystem: true,
        allowPrivilegeEscalation: false,
        capabilities: { drop: ['ALL'] },
        seccompProfile: { type: 'RuntimeDefault' },
      });
      expect(record(security.capabilities).add).toBeUndefined();
      expect(security.privileged ?? false).toBe(false);
      expect(list(container.ports).filter((p) => p.hostPort !== undefined)).toEqual([]);
      const resources = record(container.resources);
      for (const kind of ['requests', 'limits']) {
        expect(Object.keys(record(resources[kind])).sort(), `${String(container.name)} ${kind}`).toEqual([
          'cpu',
          'memory',
        ]);
      }
    }
  });

  it('uses the images of this version', () => {
    const images = workloads.flatMap(podTemplateContainers).map((c) => c.image);
    const allowed = [
      `ghcr.io/nodemesh/dns-controller:${packageVersion('dns-controller')}`,
      `ghcr.io/nodemesh/node-proxy:${packageVersion('node-proxy')}`,
    ];
    for (const image of images) expect(allowed).toContain(image);
  });

  it('creates no Secrets and mounts no token by default', () => {
    expect(objects.filter((o) => o.kind === 'Secret')).toEqual([]);
    for (const sa of objects.filter((o) => o.kind === 'ServiceAccount')) {
      expect(sa.automountServiceAccountToken, sa.metadata.name).toBe(false);
    }
  });
});

describe('node-proxy DaemonSet', () => {
  const spec = record(PROXY_DAEMONSET.spec);
  const container = containerOf(PROXY_DAEMONSET);

  it('upgrades a node by starting the new proxy before stopping the old one', () => {
    expect(spec.updateStrategy).toEqual({
      type: 'RollingUpdate',
      rollingUpdate: { maxSurge: 1, maxUnavailable: 0 },
    });
  });

  it('carries the labels shadow Services select on, and selects its own pods', () => {
    const labels = record(record(record(spec.template).metadata).labels);
    expect(labels).toMatchObject({
      'app.kubernetes.io/part-of': 'nodemesh',
      'app.kubernetes.io/component': 'node-proxy',
    });
    expect(labels).toMatchObject(record(record(spec.selector).matchLabels));
  });

  it('probes /readyz and /healthz on the admin port and runs `run`', () => {
    expect(container.args).toEqual(['run']);
    expect(container.readinessProbe).toMatchObject({ httpGet: { path: '/readyz', port: 'admin' } });
    expect(container.livenessProbe).toMatchObject({ httpGet: { path: '/healthz', port: 'admin' } });
    expect(list(container.ports)).toContainEqual({ name: 'admin', containerPort: 9090, protocol: 'TCP' });
  });

  it('learns its node from the downward API', () => {
    expect(env(container, 'NODE_NAME')).toEqual({ fieldRef: { fieldPath: 'spec.nodeName' } });
  });

  it('does not use the host network', () => {
    expect(record(record(spec.template).spec).hostNetwork ?? false).toBe(false);
  });
});

describe('dns-controller', () => {
  const spec = record(DNS_DEPLOYMENT.spec);
  const template = record(spec.template);
  const container = containerOf(DNS_DEPLOYMENT);
  const podLabels = record(record(template.metadata).labels);

  it('runs two replicas, never fewer than one during an upgrade or a drain', () => {
    expect(spec.replicas).toBe(2);
    expect(record(spec.strategy).rollingUpdate).toEqual({ maxSurge: 1, maxUnavailable: 0 });
    const pdb = find(base, 'PodDisruptionBudget', 'nodemesh-dns-controller');
    expect(record(pdb.spec).minAvailable).toBe(1);
    expect(podLabels).toMatchObject(record(record(record(pdb.spec).selector).matchLabels));
  });

  it('prefers its replicas on different nodes', () => {
    const [term, ...rest] = list(
      record(record(record(template.spec).affinity).podAntiAffinity)
        .preferredDuringSchedulingIgnoredDuringExecution,
    );
    expect(rest).toEqual([]);
    const podAffinityTerm = record(term?.podAffinityTerm);
    expect(podAffinityTerm.topologyKey).toBe('kubernetes.io/hostname');
    expect(podLabels).toMatchObject(record(record(podAffinityTerm.labelSelector).matchLabels));
  });

  it('knows its own name and namespace for the Lease', () => {
    expect(env(container, 'POD_NAME')).toEqual({ fieldRef: { fieldPath: 'metadata.name' } });
    expect(env(container, 'POD_NAMESPACE')).toEqual({ fieldRef: { fieldPath: 'metadata.namespace' } });
    expect(podLabels).toMatchObject({
      'app.kubernetes.io/part-of': 'nodemesh',
      'app.kubernetes.io/component': 'dns-controller',
    });
  });

  it('is reached on 53/UDP and 53/TCP through the nodemesh-dns Service, mapped to 5353', () => {
    const service = find(base, 'Service', 'nodemesh-dns');
    expect(podLabels).toMatchObject(record(record(service.spec).selector));
    const ports = list(container.ports);
    for (const protocol of ['UDP', 'TCP']) {
      const servicePort = list(record(service.spec).ports).find((p) => p.protocol === protocol);
      expect(servicePort?.port).toBe(53);
      const target = ports.find((p) => p.name === servicePort?.targetPort);
      expect(target).toMatchObject({ containerPort: 5353, protocol });
    }
    const config = record(find(base, 'ConfigMap', 'nodemesh-dns-controller').data);
    expect(config.NODEMESH_DNS_PORT).toBe('5353');
    expect(config.NODEMESH_DNS_SERVICE).toBe(service.metadata.name);
  });

  it('probes /readyz and /healthz on the admin port and runs `run`', () => {
    expect(container.args).toEqual(['run']);
    expect(container.readinessProbe).toMatchObject({ httpGet: { path: '/readyz', port: 'admin' } });
    expect(container.livenessProbe).toMatchObject({ httpGet: { path: '/healthz', port: 'admin' } });
  });
});

describe('the cleanup Job', () => {
  it('runs `nodemesh-dns cleanup` with the dns-controller identity and configuration', () => {
    const job = find(cleanupJob, 'Job', 'nodemesh-cleanup');
    const container = containerOf(job);
    expect(container.args).toEqual(['cleanup']);
    expect(podSpec(job)?.serviceAccountName).toBe('nodemesh-dns-controller');
    expect(container.envFrom).toEqual(containerOf(DNS_DEPLOYMENT).envFrom);
  });

  it('is not part of the default install', () => {
    expect(base.filter((o) => o.kind === 'Job')).toEqual([]);
  });
});

/** docs/components.md: each component's flags. A ConfigMap key is NODEMESH_ + the flag upper-cased, - as _. */
const FLAGS = {
  'dns-controller': [
    'server',
    'kubeconfig',
    'mesh-namespace',
    'mesh-domain',
    'dns-host',
    'dns-port',
    'dns-ttl',
    'dns-service',
    'admin-host',
    'admin-port',
    'tcp-ports',
    'udp-ports',
    'http-entrypoints',
    'default-traffic-type',
    'mtls-mode',
    'watch-namespaces',
    'ignore-namespaces',
    'lease-name',
    'cluster-dns',
    'log-level',
    'identity',
    'trust-domain',
    'identity-port',
    'identity-create-issuer',
    'certificate-ttl',
  ],
  'node-proxy': [
    'server',
    'kubeconfig',
    'node-name',
    'mesh-namespace',
    'mesh-domain',
    'listen-host',
    'admin-host',
    'admin-port',
    'http-entrypoints',
    'tcp-ports',
    'udp-ports',
    'access-control',
    'tracing-endpoint',
    'tracing-sample-ratio',
    'log-level',
    'identity-issuer',
    'trust-domain',
    'tunnel-port',
    'mtls-mode',
  ],
} as const;
const envName = (flag: string): string => `NODEMESH_${flag.toUpperCase().replaceAll('-', '_')}`;

describe.each([
  ['the default kustomization', base] as const,
  ...OVERLAYS.map((name) => [`overlay ${name}`, overlay(name)] as const),
])('%s: configuration', (_name, objects) => {
  it.each(Object.entries(FLAGS))(
    '%s gets only its own flags, each from one ConfigMap',
    (component, flags) => {
      const workload = objects.find(
        (o) => WORKLOAD_KINDS.has(o.kind) && o.metadata.labels?.['app.kubernetes.io/component'] === component,
      );
      if (workload === undefined) throw new Error(`no workload for ${component}`);
      const allowed = new Set(flags.map(envName));
      const seen = new Set<string>();
      for (const source of list(containerOf(workload).envFrom)) {
        const name = record(source.configMapRef).name;
        const configMap = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === name);
        if (configMap === undefined)
          throw new Error(`${component}: ConfigMap ${String(name)} is not installed`);
        for (const [key, value] of Object.entries(record(configMap.data))) {
          expect(allowed.has(key), `${String(name)}: ${key} is not a flag of ${component}`).toBe(true);
          expect(seen.has(key), `${key} is set twice`).toBe(false);
          expect(typeof value).toBe('string');
          seen.add(key);
        }
      }
      expect(seen.size).toBeGreaterThan(0);
    },
  );

  it('sets values of the right form', () => {
    const data = Object.assign(
      {},
      ...objects.filter((o) => o.kind === 'ConfigMap').map((o) => record(o.data)),
    );
    expect(data.NODEMESH_TCP_PORTS).toMatch(/^\d+-\d+$/);
    expect(data.NODEMESH_UDP_PORTS).toMatch(/^\d+-\d+$/);
    expect(data.NODEMESH_DNS_TTL).toMatch(/^\d+(ms|s|m|h)$/);
    expect(data.NODEMESH_ACCESS_CONTROL).toMatch(/^(true|false)$/);
    expect(['auto', 'coredns', 'coredns-custom', 'kube-dns', 'none']).toContain(data.NODEMESH_CLUSTER_DNS);
    expect(['debug', 'info', 'warn', 'error']).toContain(data.NODEMESH_LOG_LEVEL);
    expect(data.NODEMESH_ADMIN_PORT).toBe('9090');
  });
});

describe('overlays', () => {
  const data = (objects: readonly KubeObject[], name: string) =>
    record(find(objects, 'ConfigMap', name).data);

  it('access-control turns SMI access control on in the node-proxies, and only that', () => {
    expect(data(base, 'nodemesh-node-proxy').NODEMESH_ACCESS_CONTROL).toBe('false');
    expect(data(overlay('access-control'), 'nodemesh-node-proxy')).toEqual({
      ...data(base, 'nodemesh-node-proxy'),
      NODEMESH_ACCESS_CONTROL: 'true',
    });
  });

  it('kube-dns points the dns-controller at kube-dns, and only that', () => {
    expect(data(overlay('kube-dns'), 'nodemesh-dns-controller')).toEqual({
      ...data(base, 'nodemesh-dns-controller'),
      NODEMESH_CLUSTER_DNS: 'kube-dns',
    });
  });

  it('change nothing else', () => {
    for (const name of OVERLAYS) {
      const changed = overlay(name).filter((o) => {
        const same = base.find((b) => b.kind === o.kind && b.metadata.name === o.metadata.name);
        return JSON.stringify(same) !== JSON.stringify(o);
      });
      expect(
        changed.map((o) => `${o.kind}/${o.metadata.name}`),
        name,
      ).toHaveLength(1);
    }
  });
});

describe('the nodemesh namespace', () => {
  it('enforces the restricted Pod Security Standard', () => {
    const namespace = find(base, 'Namespace', 'nodemesh');
    expect(namespace.metadata.labels?.['pod-security.kubernetes.io/enforce']).toBe('restricted');
  });
});
