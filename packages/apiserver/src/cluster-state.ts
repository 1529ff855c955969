import { clusterAdmission } from './admission/admission.js';
import type { Ipv4Cidr } from './admission/cidr.js';
import { ClusterIpAllocator } from './admission/cluster-ip-allocator.js';
import { clusterIpOf } from './admission/service-admission.js';
import type { KubeObject } from './api/kube-object.js';
import { ObjectApi } from './api/object-api.js';
import { CrdController } from './controllers/crd-controller.js';
import { EndpointSliceController } from './controllers/endpoint-slice-controller.js';
import { NamespaceController } from './controllers/namespace-controller.js';
import { ResourceRegistry } from './resources/resource-registry.js';
import { ObjectStore } from './store/object-store.js';

/** Everything that is lost when the server restarts without keeping state. */
export interface ClusterState {
  store: ObjectStore;
  registry: ResourceRegistry;
  allocator: ClusterIpAllocator;
  api: ObjectApi;
  stopControllers(): void;
}

const initialNamespaces = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];

/** What stays the same across restarts. */
export interface ClusterConfig {
  serviceCidr: Ipv4Cidr;
  historySize: number;
  namespaceDeletionDelayMs: number;
}

/**
 * Builds the state around a store: the one kept across a restart, or a fresh one whose resourceVersions
 * start at `startAt` (after a restart that dropped the old store).
 */
export function createClusterState(config: ClusterConfig, kept?: ObjectStore, startAt = 0): ClusterState {
  const { serviceCidr, historySize, namespaceDeletionDelayMs } = config;
  const store = kept ?? new ObjectStore({ historySize, startAt });
  const registry = new ResourceRegistry();
  const allocator = new ClusterIpAllocator(serviceCidr);
  for (const svc of store.list('services')) {
    const ip = clusterIpOf(svc);
    if (ip) allocator.reserve(ip);
  }
  const api = new ObjectApi(store, clusterAdmission(registry, allocator));
  const crds = new CrdController(store, registry);
  const slices = new EndpointSliceController(store);
  const namespaces = new NamespaceController(store, registry, api, namespaceDeletionDelayMs);
  if (!kept) {
    const nsType = registry.find('', 'v1', 'namespaces');
    if (nsType) {
      for (const name of initialNamespaces) {
        const ns: KubeObject = { apiVersion: 'v1', kind: 'Namespace', metadata: { name } };
        api.create(nsType, undefined, ns);
      }
    }
  }
  return {
    store,
    registry,
    allocator,
    api,
    stopControllers() {
      crds.stop();
      slices.stop();
      namespaces.stop();
    },
  };
}
