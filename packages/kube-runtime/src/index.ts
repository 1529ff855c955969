/** @nodemesh/kube-runtime: the I/O shell around the Kubernetes API shared by the Nodemesh components. */

export { ApiStatusError, statusOf } from './api-errors.js';
export {
  type Backoff,
  defaultBackoff,
  type ExponentialBackoffOptions,
  exponentialBackoff,
} from './backoff.js';
export { type Change, ChangeTracker, type ChangeTrackerOptions } from './change-tracker.js';
export { type Clock, systemClock, type TimerHandle } from './clock.js';
export {
  type EventRecord,
  EventRecorder,
  type EventRecorderOptions,
  type EventSink,
  type EventType,
  type ObjectReference,
} from './event-recorder.js';
export {
  type InformerHandlers,
  type InformerOptions,
  type InformerState,
  ResourceInformer,
} from './informer.js';
export {
  type KubeConfigSource,
  type LoadedKubeConfig,
  type LoadKubeConfigOptions,
  loadKubeConfig,
  parseServerUrl,
} from './kube-config.js';
export {
  apiUrl,
  type InClusterFiles,
  inClusterConnection,
  type KubeConnection,
  requestJson,
  serverConnection,
} from './kube-connection.js';
export { kubeEventSink } from './kube-event-sink.js';
export { kubeLeaseClient, microTime } from './kube-lease-client.js';
export { type LeaderElectionOptions, LeaderElector } from './leader-election.js';
export {
  decideLease,
  type LeaseDecision,
  type LeaseDecisionInput,
  releasedRecord,
} from './leader-election-decision.js';
export { InMemoryLeaseClient, type LeaseClient, LeaseConflictError, type LeaseRecord } from './lease.js';
export { type ListRequest, type ListResult, listResource } from './list-resource.js';
export { type KubeObject, type ListResponse, ListWatch, type ListWatchHandlers } from './list-watch.js';
export {
  createLogger,
  type LogFields,
  type Logger,
  type LoggerOptions,
  type LogLevel,
  silentLogger,
} from './logger.js';
export { ManualClock, settle } from './manual-clock.js';
export {
  type FieldSelection,
  IDENTITY_FIELDS,
  keepFields,
  mergeSelections,
  selectFields,
  withoutBookkeeping,
} from './object-fields.js';
export { isRecord, type ObjectMetaView, objectKey, readObjectMeta } from './object-meta.js';
export { OptionalCollection, type OptionalCollectionOptions } from './optional-collection.js';
export { SyncRunner, type SyncRunnerOptions, type SyncRunnerState } from './sync-runner.js';
export { openWatch, type WatchParams } from './watch-stream.js';
