/**
 * The shell around planNetworkPolicies (leader only): reads the informers' objects, writes the plan through
 * the API, records Warning Events on strict Services it cannot close. A 409 (someone changed the policy, or
 * the informer is behind) or a 404 is left to the next sync; other failures fail the sync so it is retried.
 */
import { type EventRecorder, isRecord, type Logger, statusOf } from '@nodemesh/kube-runtime';
import type { KubeApi } from '../kube/kube-api.js';
import { planNetworkPolicies } from './plan-network-policies.js';
import { networkPolicyPath, strictPolicySelector } from './strict-policy.js';

export type PolicyOperation = 'create' | 'update' | 'delete';

export interface NetworkPolicyReconcilerOptions {
  readonly meshNamespace: string;
  readonly api: KubeApi;
  readonly shadows: () => readonly unknown[];
  readonly userServices: () => readonly unknown[];
  /** The managed policies the informer knows (selected by strictPolicySelector). */
  readonly policies: () => readonly unknown[];
  readonly events: EventRecorder;
  readonly logger: Logger;
  readonly requestSync: () => void;
}

export class NetworkPolicyReconciler {
  /** Events of the last plan: recorded again only after they went away. */
  private reported = new Set<string>();

  constructor(private readonly options: NetworkPolicyReconcilerOptions) {}

  async sync(): Promise<void> {
    const { api, logger } = this.options;
    const plan = planNetworkPolicies(
      this.options.shadows(),
      this.options.userServices(),
      this.options.policies(),
      this.options.meshNamespace,
    );
    const reported = new Set<string>();
    for (const event of plan.events) {
      const key = JSON.stringify([event.of.namespace, event.of.name, event.reason]);
      reported.add(key);
      if (this.reported.has(key)) continue;
      logger.warn('strict Service not closed by a NetworkPolicy', {
        service: `${event.of.namespace}/${event.of.name}`,
        message: event.message,
      });
      this.options.events.record(
        {
          apiVersion: 'v1',
          kind: 'Service',
          namespace: event.of.namespace,
          name: event.of.name,
          uid: event.uid,
        },
        event.type,
        event.reason,
        event.message,
      );
    }
    this.reported = reported;

    const failures: string[] = [];
    const write = async (
      operation: PolicyOperation,
      namespace: string,
      name: string,
      run: () => Promise<unknown>,
    ) => {
      try {
        await run();
        logger.info(`strict NetworkPolicy ${operation}d`, { policy: `${namespace}/${name}` });
      } catch (error) {
        const status = statusOf(error);
        if (operation === 'create' && status === 409) {
          // Ours, not yet in the informer (its event asks for a sync), or someone else's policy under the name:
          // left alone, retried at the periodic resync rather than in a loop.
          logger.warn('a NetworkPolicy of that name exists already; not touched', {
            policy: `${namespace}/${name}`,
          });
          return;
        }
        if (status === 409 || status === 404) {
          logger.info('NetworkPolicy changed meanwhile; next sync retries', {
            policy: `${namespace}/${name}`,
          });
          this.options.requestSync();
          return;
        }
        const message = error instanceof Error ? error.message : String(error);
        logger.warn(`could not ${operation} a NetworkPolicy`, {
          policy: `${namespace}/${name}`,
          error: message,
        });
        failures.push(`${operation} ${namespace}/${name}: ${message}`);
      }
    };
    for (const { manifest } of plan.create) {
      const { namespace, name } = manifest.metadata;
      await write('create', namespace, name, () => api.create(networkPolicyPath(namespace), manifest));
    }
    for (const { namespace, name, body } of plan.update) {
      await write('update', namespace, name, () => api.replace(networkPolicyPath(namespace, name), body));
    }
    for (const { namespace, name, resourceVersion } of plan.delete) {
      await write('delete', namespace, name, () =>
        api.delete(networkPolicyPath(namespace, name), resourceVersion),
      );
    }
    if (failures.length > 0) throw new Error(`NetworkPolicy sync: ${failures.join('; ')}`);
  }
}

/** `cleanup`: deletes every NetworkPolicy the dns-controller manages, in every namespace. Returns `ns/name`s. */
export async function removeAllStrictPolicies(api: KubeApi): Promise<string[]> {
  const removed: string[] = [];
  for (const policy of await api.list(networkPolicyPath(), strictPolicySelector())) {
    const metadata = isRecord(policy) && isRecord(policy.metadata) ? policy.metadata : {};
    const { namespace, name } = metadata;
    if (typeof namespace !== 'string' || typeof name !== 'string') continue;
    await api.delete(networkPolicyPath(namespace, name));
    removed.push(`${namespace}/${name}`);
  }
  return removed;
}
