/** @nodemesh/apiserver: an in-memory Kubernetes API server for local mode and tests. Not for production. */
export {};
