/**
 * Events through KubeApi: created with POST and bumped with a merge PATCH, the two verbs the contract's RBAC
 * grants on events (kube-runtime's kubeEventSink bumps with PUT, which needs `update`).
 */
import type { EventRecord, EventSink } from '@nodemesh/kube-runtime';
import type { KubeApi } from './kube-api.js';

const eventsPath = (namespace: string, name?: string) =>
  `/api/v1/namespaces/${encodeURIComponent(namespace)}/events${name === undefined ? '' : `/${encodeURIComponent(name)}`}`;

export function kubeApiEventSink(api: KubeApi): EventSink {
  return {
    async create(event) {
      await api.create(eventsPath(event.namespace), toEvent(event));
    },
    async update(event) {
      await api.mergePatch(eventsPath(event.namespace, event.name), {
        count: event.count,
        lastTimestamp: new Date(event.lastTimestampMs).toISOString(),
      });
    },
  };
}

function toEvent(event: EventRecord): Record<string, unknown> {
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
    reportingInstance: event.host ?? '',
  };
}
