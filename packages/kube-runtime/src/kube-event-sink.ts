import {
  CoreV1Api,
  type CoreV1Event,
  type KubeConfig,
  PatchStrategy,
  setHeaderOptions,
} from '@kubernetes/client-node';
import type { EventRecord, EventSink } from './event-recorder.js';

/**
 * An EventSink writing core/v1 Events through client-node's CoreV1Api. A repeated event is a merge patch of
 * its count and times (RBAC: events create and patch, as client-go's recorder needs; no update).
 */
export function kubeEventSink(config: KubeConfig): EventSink {
  const api = config.makeApiClient(CoreV1Api);
  return {
    async create(event) {
      await api.createNamespacedEvent({ namespace: event.namespace, body: toEvent(event) });
    },
    async update(event) {
      await api.patchNamespacedEvent(
        {
          namespace: event.namespace,
          name: event.name,
          body: {
            count: event.count,
            message: event.message,
            lastTimestamp: new Date(event.lastTimestampMs).toISOString(),
          },
        },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );
    },
  };
}

function toEvent(event: EventRecord): CoreV1Event {
  const { involvedObject: object } = event;
  return {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: event.name, namespace: event.namespace },
    involvedObject: {
      apiVersion: object.apiVersion,
      kind: object.kind,
      namespace: object.namespace,
      name: object.name,
      uid: object.uid,
    },
    type: event.type,
    reason: event.reason,
    message: event.message,
    count: event.count,
    firstTimestamp: new Date(event.firstTimestampMs),
    lastTimestamp: new Date(event.lastTimestampMs),
    source: { component: event.component, host: event.host },
    reportingComponent: event.component,
    reportingInstance: event.host,
  };
}
