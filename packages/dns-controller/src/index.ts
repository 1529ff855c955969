/** @nodemesh/dns-controller: the mesh DNS zone, shadow Services, the cluster DNS block and mesh route status. */
export * from './cluster-dns/index.js';
export {
  type ClusterDnsOutcome,
  ClusterDnsReconciler,
  type ClusterDnsReconcilerOptions,
  type ClusterDnsTarget,
  cleanupClusterDns,
  ensureMeshForward,
  prepareClusterDns,
} from './cluster-dns-sync/cluster-dns-reconciler.js';
export { changedConfigMap, configMapView, dnsServiceAddress } from './cluster-dns-sync/config-maps.js';
export { type Command, type CommandLine, envName, FLAGS, parseCommandLine } from './config/command-line.js';
export {
  CLUSTER_DNS_MODES,
  type ClusterDnsMode,
  type ControllerConfig,
  DEFAULT_CONTROLLER_CONFIG,
} from './config/controller-config.js';
export { type AdminServer, type AdminServerOptions, startAdminServer } from './controller/admin-server.js';
export {
  type DnsController,
  type DnsControllerOptions,
  startDnsController,
} from './controller/dns-controller.js';
export * from './dns/index.js';
export {
  DEFAULT_IDENTITY_SETTINGS,
  IdentityRole,
  type IdentitySettings,
} from './identity/identity-role.js';
export { generateCa } from './identity/sign-certificates.js';
export { type KubeApi, kubeApi } from './kube/kube-api.js';
export { NAMESPACE_MTLS_FIELDS, type NamespaceMtls, readNamespaceMtls } from './namespaces/namespace-mtls.js';
export {
  NetworkPolicyReconciler,
  type NetworkPolicyReconcilerOptions,
  removeAllStrictPolicies,
} from './network-policies/network-policy-reconciler.js';
export * from './network-policies/plan-network-policies.js';
export * from './network-policies/strict-policy.js';
export * from './route-status/index.js';
export * from './shadows/plan-shadow-changes.js';
export { removeAllShadows } from './shadows/remove-all-shadows.js';
export { shadowDiffers, shadowUpdateBody } from './shadows/shadow-diff.js';
export { ShadowReconciler, type ShadowReconcilerOptions } from './shadows/shadow-reconciler.js';
export { meshRecordOf, ZoneAdapter } from './zone-adapter/zone-adapter.js';
