/**
 * The judgements of `nodemesh check` after install, each a pure function of the observation, each result
 * with the fix an operator runs. The order is the order of the output.
 */
import {
  type ClusterDnsConfigMaps,
  configMapView,
  dnsServiceAddress,
  planMeshForward,
  planShadowChanges,
} from '@nodemesh/dns-controller';
import {
  DEFAULT_MESH_DEFAULTS,
  formatFieldErrors,
  LABEL_SHADOW_OF_NAME,
  LABEL_SHADOW_OF_NAMESPACE,
} from '@nodemesh/smi-types';
import { certificateChecks } from './certificates.js';
import { type CheckResult, ok, problem } from './check-result.js';
import type { MeshObservation, ProbedPod } from './observation.js';

type Rec = Record<string, unknown>;
const isRec = (value: unknown): value is Rec =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const rec = (value: unknown): Rec => (isRec(value) ? value : {});
const str = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

const API = 'Kubernetes API';
const CONTROL = 'Control plane';
const DNS = 'Cluster DNS';
const DATA = 'Data plane';
const SHADOWS = 'Shadow Services';
const CONFIG = 'Configuration';

/** Components whose Events count as mesh configuration errors. */
export const MESH_EVENT_COMPONENTS = new Set(['nodemesh-dns-controller', 'nodemesh-proxy']);
const EVENT_WINDOW_MS = 60 * 60 * 1000;

export function meshChecks(o: MeshObservation): CheckResult[] {
  return [
    ok(
      API,
      `reachable at ${o.server}`,
      o.serverVersion === undefined ? undefined : `version ${o.serverVersion}`,
    ),
    ...settingsCheck(o),
    ...crdChecks(o),
    ...controlPlaneChecks(o),
    ...clusterDnsChecks(o),
    ...nodeProxyChecks(o),
    ...shadowChecks(o),
    ...eventChecks(o),
    // Identity: certificates and roots with their time to expiry join here (certificates.ts).
    ...certificateChecks(o),
  ];
}

function settingsCheck(o: MeshObservation): CheckResult[] {
  const { settings } = o;
  if (settings.problem === undefined) return [];
  return [
    problem(
      'warn',
      CONTROL,
      'dns-controller settings unknown: judging with the defaults',
      'see the dns-controller pods: kubectl -n nodemesh get pods -l app.kubernetes.io/component=dns-controller',
      settings.problem,
    ),
  ];
}

function crdChecks(o: MeshObservation): CheckResult[] {
  const missing: string[] = [];
  const notEstablished: string[] = [];
  for (const [name, crd] of o.crds) {
    if (crd === undefined) {
      missing.push(name);
      continue;
    }
    const conditions = Array.isArray(rec(rec(crd).status).conditions)
      ? (rec(rec(crd).status).conditions as unknown[])
      : [];
    if (!conditions.some((c) => isRec(c) && c.type === 'Established' && c.status === 'True'))
      notEstablished.push(name);
  }
  if (missing.length > 0) {
    return [
      problem(
        'fail',
        CONTROL,
        `SMI CRDs missing: ${missing.join(', ')}`,
        'nodemesh install | kubectl apply -f -',
      ),
    ];
  }
  if (notEstablished.length > 0) {
    return [
      problem(
        'fail',
        CONTROL,
        `SMI CRDs not established: ${notEstablished.join(', ')}`,
        `kubectl describe crd ${notEstablished[0]} (its conditions say why the API server does not serve it)`,
      ),
    ];
  }
  return [ok(CONTROL, `SMI CRDs served (${o.crds.size})`)];
}

function live(pods: readonly ProbedPod[]): ProbedPod[] {
  return pods.filter((p) => p.pod.ready && p.probe.ready);
}

function whyNotReady(p: ProbedPod): string {
  if (!p.pod.ready) return `pod ${p.pod.name} is ${p.pod.phase}, not Ready`;
  return `pod ${p.pod.name}: ${p.probe.detail}`;
}

function controlPlaneChecks(o: MeshObservation): CheckResult[] {
  const ns = o.settings.config.meshNamespace;
  const results: CheckResult[] = [];
  const deployment = o.controllerDeployment;
  const logs = `kubectl -n ${ns} logs -l app.kubernetes.io/component=dns-controller --tail=50`;
  const ready = live(o.controllerPods);
  if (deployment === undefined) {
    results.push(
      problem(
        'fail',
        CONTROL,
        `Deployment ${ns}/nodemesh-dns-controller not found`,
        'nodemesh install | kubectl apply -f -',
      ),
    );
  } else {
    const replicas = rec(rec(deployment).spec).replicas;
    const desired = typeof replicas === 'number' && Number.isInteger(replicas) ? replicas : 1;
    const detail = o.controllerPods
      .filter((p) => !(p.pod.ready && p.probe.ready))
      .map(whyNotReady)
      .join('; ');
    if (ready.length >= desired && desired > 0) {
      results.push(ok(CONTROL, `dns-controller replicas ready (${ready.length}/${desired})`));
    } else {
      results.push(
        problem(
          'fail',
          CONTROL,
          `dns-controller replicas ready: ${ready.length}/${desired}`,
          `kubectl -n ${ns} describe deployment nodemesh-dns-controller; ${logs}`,
          detail === '' ? undefined : detail,
        ),
      );
    }
  }
  results.push(leaderCheck(o, ready, logs));
  return results;
}

function leaderCheck(o: MeshObservation, ready: readonly ProbedPod[], logs: string): CheckResult {
  const { leaseName, meshNamespace } = o.settings.config;
  const spec = rec(rec(o.lease).spec);
  const holder = str(spec.holderIdentity);
  const renew = Date.parse(str(spec.renewTime) ?? '');
  const duration = typeof spec.leaseDurationSeconds === 'number' ? spec.leaseDurationSeconds : 15;
  const fix = `a ready replica takes over once the Lease expires (${duration} s after its last renewal); to hand over now: kubectl -n ${meshNamespace} delete lease ${leaseName}; if none takes over: ${logs}`;
  if (o.lease === undefined || holder === undefined || holder === '') {
    return problem('fail', CONTROL, `no leader: Lease ${meshNamespace}/${leaseName} has no holder`, fix);
  }
  if (!Number.isFinite(renew) || renew + duration * 1000 < o.now) {
    return problem(
      'fail',
      CONTROL,
      `no leader: ${holder} last renewed Lease ${meshNamespace}/${leaseName} ${Number.isFinite(renew) ? `${Math.round((o.now - renew) / 1000)} s ago` : 'never'} (expires after ${duration} s)`,
      fix,
    );
  }
  if (!ready.some((p) => p.pod.name === holder)) {
    return problem('fail', CONTROL, `the leader ${holder} is not a ready dns-controller pod`, fix);
  }
  return ok(CONTROL, `one leader: ${holder}`);
}

function clusterDnsChecks(o: MeshObservation): CheckResult[] {
  const config = o.settings.config;
  if (config.clusterDns === 'none') {
    return [
      ok(
        DNS,
        'left alone (--cluster-dns none)',
        `forward the zone "${config.meshDomain}" to Service ${config.meshNamespace}/${config.dnsService} port 53 yourself`,
      ),
    ];
  }
  const prepare = `while a dns-controller leads it puts the block back within seconds; if it does not: kubectl -n ${config.meshNamespace} logs -l app.kubernetes.io/component=dns-controller --tail=50`;
  const address = dnsServiceAddress(o.dnsService, `${config.meshNamespace}/${config.dnsService}`);
  if (!address.ok) {
    return [
      problem(
        'fail',
        DNS,
        'the mesh DNS Service has no address',
        'nodemesh install | kubectl apply -f -',
        formatFieldErrors(address.errors),
      ),
    ];
  }
  const view = configMapView(o.clusterDnsConfigMaps, config.clusterDns);
  if (!view.ok)
    return [problem('fail', DNS, 'cluster DNS ConfigMaps unusable', prepare, formatFieldErrors(view.errors))];
  const plan = planMeshForward(view.value as ClusterDnsConfigMaps, {
    domain: config.meshDomain,
    address: address.value,
    port: 53,
  });
  if (!plan.ok) {
    return [
      problem(
        'fail',
        DNS,
        `cannot forward the zone "${config.meshDomain}"`,
        'correct the ConfigMap named below in kube-system, then the dns-controller adds its block',
        formatFieldErrors(plan.errors),
      ),
    ];
  }
  const where = plan.value.changes.map((c) => `kube-system/${c.configMap}`).join(', ');
  if (plan.value.changes.length > 0) {
    return [
      problem(
        'fail',
        DNS,
        `the forward block for "${config.meshDomain}" is missing or stale in ${where}`,
        prepare,
        `mesh names do not resolve for pods until it is back (${plan.value.flavour} → ${address.value}:53)`,
      ),
    ];
  }
  return [
    ok(
      DNS,
      `forward block for "${config.meshDomain}" in place (${plan.value.flavour} → ${address.value}:53)`,
    ),
  ];
}

function schedulableNodes(nodes: readonly unknown[]): string[] {
  return nodes
    .filter((n) => rec(rec(n).spec).unschedulable !== true)
    .flatMap((n) => {
      const name = str(rec(rec(n).metadata).name);
      return name === undefined ? [] : [name];
    })
    .sort();
}

function nodeProxyChecks(o: MeshObservation): CheckResult[] {
  const ns = o.settings.config.meshNamespace;
  const nodes = schedulableNodes(o.nodes);
  const results: CheckResult[] = [];
  let ready = 0;
  for (const node of nodes) {
    const pods = o.proxyPods.filter((p) => p.pod.nodeName === node);
    if (pods.some((p) => p.pod.ready && p.probe.ready)) {
      ready++;
      continue;
    }
    if (pods.length === 0) {
      results.push(
        problem(
          'fail',
          DATA,
          `no node-proxy on node ${node}`,
          `kubectl -n ${ns} describe daemonset nodemesh-node-proxy (a taint it does not tolerate, or a scheduling failure)`,
        ),
      );
      continue;
    }
    const first = pods[0] as ProbedPod;
    results.push(
      problem(
        'fail',
        DATA,
        `node-proxy on node ${node} not ready`,
        `kubectl -n ${ns} describe pod ${first.pod.name}; kubectl -n ${ns} logs ${first.pod.name} --tail=50`,
        pods.map(whyNotReady).join('; '),
      ),
    );
  }
  if (nodes.length === 0) return [problem('warn', DATA, 'no schedulable node', 'kubectl get nodes')];
  const summary = `node-proxy ready on ${ready} of ${nodes.length} schedulable node${nodes.length === 1 ? '' : 's'}`;
  return ready === nodes.length ? [ok(DATA, summary)] : [...results];
}

function shadowChecks(o: MeshObservation): CheckResult[] {
  const config = o.settings.config;
  const meshNs = config.meshNamespace;
  const inMesh = (s: unknown) => str(rec(rec(s).metadata).namespace) === meshNs;
  const shadows = o.services.filter(inMesh);
  const plan = planShadowChanges(o.services, shadows, {
    meshNamespace: meshNs,
    watchNamespaces: config.watchNamespaces,
    ignoreNamespaces: config.ignoreNamespaces,
    defaults: { ...DEFAULT_MESH_DEFAULTS, trafficType: config.defaultTrafficType },
    tcpRange: config.tcpPorts,
    udpRange: config.udpPorts,
    httpEntrypoints: config.httpEntrypoints,
  });
  const results: CheckResult[] = [];
  const leaderFix = 'the dns-controller leader';
  for (const create of plan.create) {
    const { namespace, name } = create.of;
    results.push(
      problem(
        'fail',
        SHADOWS,
        `Service ${namespace}/${name} has no shadow Service`,
        `${leaderFix} creates it; if it does not, its Events say why: kubectl -n ${namespace} describe service ${name}`,
      ),
    );
  }
  const byName = new Map(shadows.map((s) => [str(rec(rec(s).metadata).name) ?? '', rec(rec(s).metadata)]));
  for (const removal of plan.delete) {
    const labels = rec(byName.get(removal.name)?.labels);
    const of = `${str(labels[LABEL_SHADOW_OF_NAMESPACE]) ?? '?'}/${str(labels[LABEL_SHADOW_OF_NAME]) ?? '?'}`;
    const why =
      removal.reason === 'orphaned'
        ? `its Service ${of} is gone or no longer in the mesh`
        : removal.reason === 'duplicate'
          ? `a second shadow of ${of}`
          : `its Service ${of} has no port left for the mesh`;
    results.push(
      problem(
        'fail',
        SHADOWS,
        `orphaned shadow Service ${meshNs}/${removal.name}`,
        `${leaderFix} deletes it; while none leads: kubectl -n ${meshNs} delete service ${removal.name}`,
        why,
      ),
    );
  }
  if (results.length > 0) return results;
  const meshed = shadows.length - plan.delete.length;
  return [ok(SHADOWS, `every meshed Service has its shadow (${meshed}), none orphaned`)];
}

function eventTime(event: Rec): number {
  for (const field of [
    event.lastTimestamp,
    event.eventTime,
    rec(event.series).lastObservedTime,
    event.firstTimestamp,
  ]) {
    const time = Date.parse(str(field) ?? '');
    if (Number.isFinite(time)) return time;
  }
  return Number.NaN;
}

function eventChecks(o: MeshObservation): CheckResult[] {
  const recent = new Map<string, { event: Rec; count: number }>();
  for (const raw of o.events) {
    const event = rec(raw);
    const component = str(event.reportingComponent) ?? str(rec(event.source).component);
    if (event.type !== 'Warning' || component === undefined || !MESH_EVENT_COMPONENTS.has(component))
      continue;
    if (!(o.now - eventTime(event) <= EVENT_WINDOW_MS)) continue;
    const object = rec(event.involvedObject);
    const key = `${str(object.kind)}/${str(object.namespace) ?? ''}/${str(object.name)}/${str(event.reason)}`;
    const seen = recent.get(key);
    const count = typeof event.count === 'number' ? event.count : 1;
    if (seen === undefined || eventTime(event) > eventTime(seen.event)) recent.set(key, { event, count });
  }
  if (recent.size === 0) return [ok(CONFIG, 'no configuration errors reported in the last hour')];
  return [...recent.values()].map(({ event, count }) => {
    const object = rec(event.involvedObject);
    const kind = str(object.kind) ?? 'object';
    const namespace = str(object.namespace);
    const name = str(object.name) ?? '?';
    const where = namespace === undefined || namespace === '' ? name : `${namespace}/${name}`;
    const describe = `kubectl ${namespace ? `-n ${namespace} ` : ''}describe ${kind.toLowerCase()} ${name}`;
    return problem(
      'warn',
      CONFIG,
      `${kind} ${where}: ${str(event.reason) ?? 'Warning'}${count > 1 ? ` (×${count})` : ''}`,
      `correct the ${kind}; until then the mesh keeps its last good configuration (${describe})`,
      (str(event.message) ?? '').slice(0, 300),
    );
  });
}
