/** Pointing the cluster DNS (CoreDNS or kube-dns) at the mesh DNS server: pure ConfigMap edits. */
export { CUSTOM_SERVER_KEY, renderCustomServerEntry } from './coredns-custom.js';
export {
  addMeshBlock,
  type CorefileEdit,
  findMeshBlock,
  hasMeshBlock,
  MESH_BLOCK_BEGIN,
  MESH_BLOCK_END,
  type MeshBlockLocation,
  removeMeshBlock,
  renderMeshServerBlock,
  type ServerBlock,
  scanCorefile,
} from './corefile.js';
export { hostPort, type MeshForwardTarget, validateForwardTarget } from './forward-target.js';
export { addStubDomain, removeStubDomain, STUB_DOMAINS_KEY, type StubDomainsEdit } from './kube-dns.js';
export {
  type ClusterDnsCleanup,
  type ClusterDnsConfigMapName,
  type ClusterDnsConfigMaps,
  type ClusterDnsFlavour,
  type ClusterDnsPlan,
  COREFILE_KEY,
  type ConfigMapData,
  type ConfigMapDataChange,
  planMeshCleanup,
  planMeshForward,
} from './plan.js';
