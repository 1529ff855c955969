/** @nodemesh/kube-runtime: informer adapters, change trackers, the sync runner and leader election. */
export {};
