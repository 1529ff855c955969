import { invalid } from '../api/api-error.js';
import { isRecord, type KubeObject } from '../api/kube-object.js';
import type { Admission } from '../api/object-api.js';
import { resourceTypesFromCrd } from '../resources/crd-resource-types.js';
import type { ResourceRegistry } from '../resources/resource-registry.js';
import { type ResourceType, storageKey } from '../resources/resource-type.js';
import type { ClusterIpAllocator } from './cluster-ip-allocator.js';
import { admitService, clusterIpOf } from './service-admission.js';

/** The per-kind rules of this server: Service ClusterIPs, CRD checks and Namespace defaults. */
export function clusterAdmission(registry: ResourceRegistry, allocator: ClusterIpAllocator): Admission {
  const noop = () => {};
  return {
    admit(type: ResourceType, obj: KubeObject, old: KubeObject | undefined) {
      const key = storageKey(type);
      if (key === 'services') return admitService(allocator, obj, old);
      if (key === 'customresourcedefinitions.apiextensions.k8s.io') {
        const parsed = resourceTypesFromCrd(obj);
        if (!parsed.ok) throw invalid(type.kind, type.group, obj.metadata.name ?? '', parsed.causes);
        const clash = registry
          .all()
          .find(
            (t) =>
              t.crdName === undefined &&
              parsed.types.some((p) => p.group === t.group && p.plural === t.plural),
          );
        if (clash) {
          throw invalid(type.kind, type.group, obj.metadata.name ?? '', [
            { field: 'spec.group', message: `Invalid value: "${clash.group}": is a built-in group` },
          ]);
        }
        return noop;
      }
      if (key === 'secrets' && isRecord(obj.stringData)) {
        // As the real server does: stringData is write-only, folded into data as base64.
        const data = isRecord(obj.data) ? { ...obj.data } : {};
        for (const [k, v] of Object.entries(obj.stringData)) {
          if (typeof v === 'string') data[k] = Buffer.from(v, 'utf8').toString('base64');
        }
        obj.data = data;
        delete obj.stringData;
      }
      if (key === 'namespaces') {
        const name = obj.metadata.name ?? '';
        obj.metadata.labels = { ...(obj.metadata.labels ?? {}), 'kubernetes.io/metadata.name': name };
        if (!isRecord(obj.spec)) obj.spec = { finalizers: ['kubernetes'] };
        if (!old) obj.status = { phase: 'Active' };
      }
      return noop;
    },
    deleted(type: ResourceType, obj: KubeObject) {
      const key = storageKey(type);
      if (key === 'services') {
        const ip = clusterIpOf(obj);
        if (ip) allocator.release(ip);
      }
    },
  };
}
