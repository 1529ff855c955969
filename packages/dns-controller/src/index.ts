/** @nodemesh/dns-controller: the mesh DNS zone, shadow Services and the cluster DNS block. */
export * from './cluster-dns/index.js';
export * from './dns/index.js';
