/** @nodemesh/apiserver: an in-memory Kubernetes API server for local mode and tests. Not for production. */

export { ApiError, type StatusReason, statusObject } from './api-error.js';
export { type ApiServer, type ApiServerOptions, isLoopbackHost, startApiServer } from './api-server.js';
export { buildEndpointSlices, resolveTargetPort } from './endpoint-slices.js';
export type { Faults } from './faults.js';
export { type FieldRequirement, matchesFields, parseFieldSelector } from './field-selector.js';
export { applyJsonPatch } from './json-patch.js';
export type { JsonObject, JsonValue, KubeObject, ObjectMeta } from './kube-object.js';
export { type LabelRequirement, matchesLabels, parseLabelSelector } from './label-selector.js';
export { applyMergePatch } from './merge-patch.js';
export { ObjectStore, type StoreEvent } from './object-store.js';
export { applyStrategicMergePatch } from './strategic-merge-patch.js';
