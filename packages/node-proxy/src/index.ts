/** @nodemesh/node-proxy: the per-node data plane. */
export {};
