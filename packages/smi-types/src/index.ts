/**
 * @nodemesh/smi-types: the mesh's API. SMI resources and their validation (every served version,
 * normalised to one model), the Nodemesh annotations, the shadow-Service contract and the CRD manifests.
 * Pure: nothing here does I/O.
 */
export * from './validation/index.js';
