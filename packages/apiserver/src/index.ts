/** @nodemesh/apiserver: an in-memory Kubernetes API server for local mode and tests. Not for production. */

export type { JsonObject, JsonValue, KubeObject, ObjectMeta } from './api/kube-object.js';
export { type ApiServer, type ApiServerOptions, isLoopbackHost, startApiServer } from './api-server.js';
export type { AuditCall, AuditVerb } from './http/audit-call.js';
export type { Faults } from './http/faults.js';
export type { ObjectStore, StoreEvent, StoreEventType } from './store/object-store.js';
