/** @nodemesh/dns-controller: the mesh DNS zone, shadow Services and the cluster DNS block. */
export {};
