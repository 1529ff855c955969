/**
 * Keeps the cluster DNS forwarding the mesh zone to the dns-controller's Service (leader only), and the
 * one-shot `prepare` and `cleanup`. The decisions are the pure planMeshForward/planMeshCleanup; this applies
 * them with PUTs carrying the resourceVersion read, so a concurrent edit is a 409 and the next sync re-plans.
 * A Corefile that cannot be parsed, or a missing one, is reported and never overwritten.
 */
import { type EventRecorder, isRecord, type Logger, statusOf } from '@nodemesh/kube-runtime';
import { type FieldError, formatFieldErrors } from '@nodemesh/smi-types';
import { type ConfigMapDataChange, planMeshCleanup, planMeshForward } from '../cluster-dns/plan.js';
import type { ClusterDnsMode } from '../config/controller-config.js';
import { configMapPath, type KubeApi, servicePath } from '../kube/kube-api.js';
import {
  CLUSTER_DNS_CONFIG_MAPS,
  CLUSTER_DNS_NAMESPACE,
  changedConfigMap,
  configMapView,
  dnsServiceAddress,
  problemsByConfigMap,
} from './config-maps.js';

/** The reason of the Warning Event on a cluster DNS ConfigMap the mesh cannot use. Stable: alerts match on it. */
export const CLUSTER_DNS_EVENT_REASON = 'MeshForwardNotApplied';

export interface ClusterDnsTarget {
  readonly mode: Exclude<ClusterDnsMode, 'none'>;
  readonly domain: string;
  readonly meshNamespace: string;
  readonly dnsService: string;
}

/** What one pass found: whether the block is in place, and the problems that kept it from being. */
export interface ClusterDnsOutcome {
  readonly present: boolean;
  readonly problems: readonly FieldError[];
  readonly conflicts: number;
}

/**
 * One pass: plan from the ConfigMaps and the DNS Service given, apply the changes. Throws only on API
 * failures other than 409 (so the caller retries); planning problems are returned.
 */
export async function ensureMeshForward(
  api: KubeApi,
  target: ClusterDnsTarget,
  configMaps: ReadonlyMap<string, unknown>,
  dnsService: unknown,
): Promise<ClusterDnsOutcome> {
  const address = dnsServiceAddress(dnsService, `${target.meshNamespace}/${target.dnsService}`);
  if (!address.ok) return { present: false, problems: address.errors, conflicts: 0 };
  const view = configMapView(configMaps, target.mode);
  if (!view.ok) return { present: false, problems: view.errors, conflicts: 0 };
  const plan = planMeshForward(view.value, { domain: target.domain, address: address.value, port: 53 });
  if (!plan.ok) return { present: false, problems: plan.errors, conflicts: 0 };
  const conflicts = await applyChanges(api, configMaps, plan.value.changes);
  return { present: conflicts === 0, problems: [], conflicts };
}

/** Reads the DNS Service and the ConfigMaps, then ensureMeshForward: the `prepare` command. */
export async function prepareClusterDns(api: KubeApi, target: ClusterDnsTarget): Promise<ClusterDnsOutcome> {
  const service = await api.get(servicePath(target.meshNamespace, target.dnsService));
  return ensureMeshForward(api, target, await readConfigMaps(api), service);
}

/** Removes every trace of the mesh zone from the cluster DNS (byte for byte); reports what it cannot. */
export async function cleanupClusterDns(api: KubeApi, domain: string): Promise<ClusterDnsOutcome> {
  const configMaps = await readConfigMaps(api);
  const view = configMapView(configMaps, 'auto');
  if (!view.ok) return { present: true, problems: view.errors, conflicts: 0 };
  const plan = planMeshCleanup(view.value, domain);
  const conflicts = await applyChanges(api, configMaps, plan.changes);
  return { present: plan.errors.length > 0 || conflicts > 0, problems: plan.errors, conflicts };
}

async function readConfigMaps(api: KubeApi): Promise<Map<string, unknown>> {
  const found = new Map<string, unknown>();
  for (const name of CLUSTER_DNS_CONFIG_MAPS) {
    const obj = await api.get(configMapPath(CLUSTER_DNS_NAMESPACE, name));
    if (obj !== undefined) found.set(name, obj);
  }
  return found;
}

/** PUTs each change; returns how many lost a race (409). */
async function applyChanges(
  api: KubeApi,
  configMaps: ReadonlyMap<string, unknown>,
  changes: readonly ConfigMapDataChange[],
): Promise<number> {
  let conflicts = 0;
  for (const change of changes) {
    const body = changedConfigMap(configMaps.get(change.configMap), change);
    try {
      await api.replace(configMapPath(CLUSTER_DNS_NAMESPACE, change.configMap), body);
    } catch (error) {
      if (statusOf(error) !== 409) throw error;
      conflicts++;
    }
  }
  return conflicts;
}

export interface ClusterDnsReconcilerOptions {
  readonly api: KubeApi;
  readonly target: ClusterDnsTarget;
  /** The kube-system ConfigMaps the informer knows, by name. */
  readonly configMaps: () => ReadonlyMap<string, unknown>;
  /** The DNS Service as the informer knows it, or undefined. */
  readonly dnsService: () => unknown;
  readonly logger: Logger;
  /** Where a problem with a ConfigMap (a missing or unparseable Corefile) is recorded as a Warning Event. */
  readonly events?: EventRecorder;
  readonly requestSync: () => void;
  readonly onOutcome?: (outcome: ClusterDnsOutcome) => void;
}

/**
 * The leader's sync function for the cluster DNS. A problem is logged once, until it changes or goes away;
 * a problem with a ConfigMap is also a Warning Event on it, recorded at the same moments (repeats after it went
 * away bump the Event's count).
 */
export class ClusterDnsReconciler {
  private lastProblem: string | undefined;

  constructor(private readonly options: ClusterDnsReconcilerOptions) {}

  async sync(): Promise<void> {
    const { api, target, logger } = this.options;
    const outcome = await ensureMeshForward(
      api,
      target,
      this.options.configMaps(),
      this.options.dnsService(),
    );
    this.options.onOutcome?.(outcome);
    if (outcome.conflicts > 0) {
      logger.info('a cluster DNS ConfigMap changed meanwhile; next sync retries');
      this.options.requestSync();
    }
    const problem = outcome.problems.length > 0 ? formatFieldErrors(outcome.problems) : undefined;
    if (problem !== undefined && problem !== this.lastProblem) {
      logger.warn('cannot point the cluster DNS at the mesh DNS server; left unchanged', { problem });
      this.recordEvents(outcome.problems);
    } else if (problem === undefined && this.lastProblem !== undefined) {
      logger.info('the cluster DNS forwards the mesh zone again');
    }
    this.lastProblem = problem;
  }

  private recordEvents(problems: readonly FieldError[]): void {
    const { events, configMaps } = this.options;
    if (events === undefined) return;
    const objects = configMaps();
    for (const [name, errors] of problemsByConfigMap(problems)) {
      const obj = objects.get(name);
      if (obj === undefined) continue;
      const metadata = isRecord(obj) && isRecord(obj.metadata) ? obj.metadata : {};
      events.record(
        {
          apiVersion: 'v1',
          kind: 'ConfigMap',
          namespace: CLUSTER_DNS_NAMESPACE,
          name,
          ...(typeof metadata.uid === 'string' ? { uid: metadata.uid } : {}),
        },
        'Warning',
        CLUSTER_DNS_EVENT_REASON,
        `the mesh zone cannot be forwarded to the mesh DNS server; the ConfigMap is left unchanged: ${formatFieldErrors(errors).replaceAll('\n', '; ')}`,
      );
    }
  }
}
