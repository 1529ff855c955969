/**
 * @nodemesh/smi-types: the mesh's API. SMI resources and their validation (every served version,
 * normalised to one model), the Nodemesh annotations, the shadow-Service contract and the CRD manifests.
 * Pure: nothing here does I/O.
 */
export * from './annotations/annotation-keys.js';
export * from './annotations/duration.js';
export * from './annotations/parse-service-annotations.js';
export * from './annotations/service-config.js';
export * from './config/component-flags.js';
export * from './crds/index.js';
export * from './gateway/index.js';
export * from './identity/index.js';
export * from './model/index.js';
export * from './shadow/contract.js';
export * from './shadow/parse-shadow-service.js';
export * from './shadow/port-allocator.js';
export * from './shadow/service-accounts-annotation.js';
export * from './shadow/shadow-labels.js';
export * from './shadow/shadow-name.js';
export * from './shadow/shadow-service.js';
export * from './shadow/user-service.js';
export * from './smi/index.js';
export { isDns1123Label, isDns1123Subdomain } from './validation/dns-names.js';
export * from './validation/index.js';
export { MAX_PATTERN_LENGTH, re2PatternProblem } from './validation/re2-pattern.js';
