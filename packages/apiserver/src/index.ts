/** @nodemesh/apiserver: an in-memory Kubernetes API server for local mode and tests. Not for production. */
export { type ApiServer, type ApiServerOptions, isLoopbackHost, startApiServer } from './api-server.js';
export type { Faults } from './faults.js';
export type { JsonObject, JsonValue, KubeObject, ObjectMeta } from './kube-object.js';
export type { ObjectStore, StoreEvent, StoreEventType } from './object-store.js';
