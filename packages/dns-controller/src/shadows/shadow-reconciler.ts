/**
 * The shell around planShadowChanges (leader only): reads the informers' objects, applies the plan through the
 * API, records Warning Events on user Services and counts what it did. A 409 (someone changed the shadow, or
 * our informer is behind) is left to the next sync; other failures fail the sync so the runner retries it.
 */
import { type EventRecorder, type Logger, statusOf } from '@nodemesh/kube-runtime';
import type { PortAllocation } from '@nodemesh/smi-types';
import { type KubeApi, servicePath } from '../kube/kube-api.js';
import {
  planShadowChanges,
  type ServiceAccountLookup,
  type ShadowEvent,
  type ShadowPlanConfig,
} from './plan-shadow-changes.js';

export type ShadowOperation = 'create' | 'update' | 'delete';
export type WriteResult = 'ok' | 'conflict' | 'error';

export interface ShadowReconcilerOptions {
  readonly config: ShadowPlanConfig;
  readonly api: KubeApi;
  /** Every Service the informer knows (all namespaces). */
  readonly userServices: () => readonly unknown[];
  /** The shadow Services the informer knows (mesh namespace, shadow label selector). */
  readonly shadows: () => readonly unknown[];
  /** The Namespaces (what the namespaces informer keeps): their `nodemesh.io/mtls` annotations. */
  readonly namespaces?: () => readonly unknown[];
  /** The ServiceAccounts of the pods a Service selects; without it shadows carry none. */
  readonly serviceAccountsOf?: ServiceAccountLookup;
  readonly events: EventRecorder;
  readonly logger: Logger;
  /** Called for each API write, for metrics. */
  readonly onWrite?: (operation: ShadowOperation, result: WriteResult) => void;
  /** Called after each plan, for metrics. */
  readonly onPlan?: (outcome: {
    allocations: readonly PortAllocation[];
    servicesWithProblems: number;
  }) => void;
  /** Asks for another sync soon (after a conflict). */
  readonly requestSync: () => void;
  /** How long a sync waits for the informer to show its own writes before the next plan. Default 2 s. */
  readonly observeTimeoutMs?: number;
}

const eventKey = (e: ShadowEvent) => JSON.stringify([e.of.namespace, e.of.name, e.reason, e.message]);

export class ShadowReconciler {
  /** Events of the last plan: one is recorded again only after it went away, not on every sync. */
  private reported = new Set<string>();

  constructor(private readonly options: ShadowReconcilerOptions) {}

  async sync(): Promise<void> {
    const { api, config, logger } = this.options;
    const plan = planShadowChanges(
      this.options.userServices(),
      this.options.shadows(),
      config,
      this.options.serviceAccountsOf,
      this.options.namespaces?.() ?? [],
    );
    for (const { name, message } of plan.invalidShadows) {
      logger.warn('shadow Service cannot be read; it will be rewritten or removed', {
        shadow: name,
        error: message,
      });
    }
    const reported = new Set<string>();
    for (const event of plan.events) {
      const key = eventKey(event);
      reported.add(key);
      if (this.reported.has(key)) continue;
      logger.warn('Service not fully meshed', {
        service: `${event.of.namespace}/${event.of.name}`,
        reason: event.reason,
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
    for (const event of plan.namespaceEvents) {
      const key = JSON.stringify(['Namespace', event.namespace, event.reason, event.message]);
      reported.add(key);
      if (this.reported.has(key)) continue;
      logger.warn('Namespace annotation not usable', {
        namespace: event.namespace,
        reason: event.reason,
        message: event.message,
      });
      // Recorded in the Namespace itself, where its team looks (kubectl get events -n <namespace>).
      this.options.events.record(
        {
          apiVersion: 'v1',
          kind: 'Namespace',
          namespace: event.namespace,
          name: event.namespace,
          uid: event.uid,
        },
        event.type,
        event.reason,
        event.message,
      );
    }
    this.reported = reported;
    this.options.onPlan?.({
      allocations: plan.allocations,
      servicesWithProblems: new Set(plan.events.map((e) => `${e.of.namespace}/${e.of.name}`)).size,
    });

    const failures: string[] = [];
    const expected = new Map<string, (obj: unknown) => boolean>();
    const write = async (
      operation: ShadowOperation,
      name: string,
      fields: object,
      run: () => Promise<unknown>,
    ) => {
      try {
        const written = await run();
        this.options.onWrite?.(operation, 'ok');
        logger.info(`shadow Service ${operation}d`, { shadow: name, ...fields });
        const version = resourceVersionOf(written);
        expected.set(name, (obj) =>
          operation === 'delete'
            ? obj === undefined
            : obj !== undefined && resourceVersionOf(obj) === version,
        );
      } catch (error) {
        if (statusOf(error) === 409) {
          this.options.onWrite?.(operation, 'conflict');
          logger.info('shadow Service changed meanwhile; next sync retries', { shadow: name, operation });
          this.options.requestSync();
          return;
        }
        this.options.onWrite?.(operation, 'error');
        const message = error instanceof Error ? error.message : String(error);
        logger.warn(`could not ${operation} a shadow Service`, { shadow: name, error: message });
        failures.push(`${operation} ${name}: ${message}`);
      }
    };
    const ns = config.meshNamespace;
    for (const { of, manifest } of plan.create) {
      await write('create', manifest.metadata.name, { of: `${of.namespace}/${of.name}` }, () =>
        api.create(servicePath(ns), manifest),
      );
    }
    for (const { of, name, body } of plan.update) {
      await write('update', name, { of: `${of.namespace}/${of.name}` }, () =>
        api.replace(servicePath(ns, name), body),
      );
    }
    for (const { name, resourceVersion, reason } of plan.delete) {
      await write('delete', name, { reason }, async () => {
        await api.delete(servicePath(ns, name), resourceVersion);
        return undefined;
      });
    }
    await this.awaitObserved(expected);
    if (failures.length > 0) throw new Error(`shadow sync: ${failures.join('; ')}`);
  }

  /**
   * Waits (bounded) until the shadow informer shows this sync's writes, so the next plan does not allocate
   * from a picture without them.
   */
  private async awaitObserved(expected: Map<string, (obj: unknown) => boolean>): Promise<void> {
    if (expected.size === 0) return;
    const deadline = Date.now() + (this.options.observeTimeoutMs ?? 2000);
    while (Date.now() < deadline) {
      const byName = new Map(this.options.shadows().map((obj) => [nameOf(obj), obj]));
      if ([...expected].every(([name, seen]) => seen(byName.get(name)))) return;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    this.options.logger.debug('informer has not shown every write yet; going on');
  }
}

function meta(obj: unknown): Record<string, unknown> {
  const metadata =
    typeof obj === 'object' && obj !== null ? (obj as { metadata?: unknown }).metadata : undefined;
  return typeof metadata === 'object' && metadata !== null ? (metadata as Record<string, unknown>) : {};
}

function nameOf(obj: unknown): string | undefined {
  const name = meta(obj).name;
  return typeof name === 'string' ? name : undefined;
}

function resourceVersionOf(obj: unknown): string | undefined {
  const version = meta(obj).resourceVersion;
  return typeof version === 'string' ? version : undefined;
}
