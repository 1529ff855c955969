import type { EventRecord, EventSink } from './event-recorder.js';
import { type KubeConnection, requestJson } from './kube-connection.js';

/**
 * An EventSink writing core/v1 Events as JSON over the connection. A repeated event is a merge patch of its
 * count and times (RBAC: events create and patch, as client-go's recorder needs; no update).
 */
export function kubeEventSink(config: KubeConnection): EventSink {
  const events = (namespace: string) => `/api/v1/namespaces/${encodeURIComponent(namespace)}/events`;
  return {
    async create(event) {
      await requestJson(config, 'POST', events(event.namespace), toEvent(event));
    },
    async update(event) {
      await requestJson(
        config,
        'PATCH',
        `${events(event.namespace)}/${encodeURIComponent(event.name)}`,
        {
          count: event.count,
          message: event.message,
          lastTimestamp: new Date(event.lastTimestampMs).toISOString(),
        },
        { contentType: 'application/merge-patch+json' },
      );
    },
  };
}

function toEvent(event: EventRecord) {
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
    firstTimestamp: new Date(event.firstTimestampMs).toISOString(),
    lastTimestamp: new Date(event.lastTimestampMs).toISOString(),
    source: { component: event.component, host: event.host },
    reportingComponent: event.component,
    reportingInstance: event.host,
  };
}
