import { getPath, isRecord, type JsonValue, type KubeObject } from '../api/kube-object.js';
import { resourceTypesFromCrd } from '../resources/crd-resource-types.js';
import type { ResourceRegistry } from '../resources/resource-registry.js';
import { storageKey } from '../resources/resource-type.js';
import type { ObjectStore, StoreEvent } from '../store/object-store.js';

const crds = 'customresourcedefinitions.apiextensions.k8s.io';

function condition(type: string, reason: string, message: string, time: string): JsonValue {
  return { type, status: 'True', lastTransitionTime: time, reason, message };
}

function established(crd: KubeObject): boolean {
  const conditions = getPath(crd, ['status', 'conditions']);
  return (
    Array.isArray(conditions) &&
    conditions.some((c) => isRecord(c) && c.type === 'Established' && c.status === 'True') &&
    JSON.stringify(getPath(crd, ['status', 'acceptedNames'])) ===
      JSON.stringify(getPath(crd, ['spec', 'names']))
  );
}

/**
 * Serves the resources of CRDs: registers them as soon as a CRD is stored (so the next request can use
 * them), marks the CRD NamesAccepted and Established (so `kubectl wait --for condition=established`
 * works), and on CRD deletion stops serving them and drops their objects.
 */
export class CrdController {
  private readonly unsubscribe: () => void;
  private readonly pending = new Set<string>();

  constructor(
    private readonly store: ObjectStore,
    private readonly registry: ResourceRegistry,
  ) {
    this.unsubscribe = store.subscribe((event) => this.onEvent(event));
    for (const crd of store.list(crds)) this.register(crd);
  }

  stop(): void {
    this.unsubscribe();
  }

  private onEvent(event: StoreEvent): void {
    if (event.resource !== crds) return;
    if (event.type === 'DELETED') {
      const name = event.object.metadata.name ?? '';
      const types = this.registry.all().filter((t) => t.crdName === name);
      this.registry.removeCrd(name);
      const keys = new Set(types.map(storageKey));
      queueMicrotask(() => {
        for (const key of keys) this.store.removeAll(key);
      });
      return;
    }
    this.register(event.object);
  }

  private register(crd: KubeObject): void {
    const name = crd.metadata.name ?? '';
    const parsed = resourceTypesFromCrd(crd);
    if (!parsed.ok) return;
    this.registry.setCrd(name, parsed.types);
    if (established(crd) || this.pending.has(name)) return;
    this.pending.add(name);
    queueMicrotask(() => {
      this.pending.delete(name);
      const current = this.store.get(crds, undefined, name);
      if (!current || established(current)) return;
      const time = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
      const status = isRecord(current.status) ? current.status : {};
      current.status = {
        ...status,
        conditions: [
          condition('NamesAccepted', 'NoConflicts', 'no conflicts found', time),
          condition('Established', 'InitialNamesAccepted', 'the initial names have been accepted', time),
        ],
        acceptedNames: structuredClone(getPath(current, ['spec', 'names'])) as JsonValue,
        storedVersions: (Array.isArray(getPath(current, ['spec', 'versions']))
          ? (getPath(current, ['spec', 'versions']) as unknown[])
          : []
        )
          .filter((v) => isRecord(v) && v.storage === true && typeof v.name === 'string')
          .map((v) => (isRecord(v) && typeof v.name === 'string' ? v.name : '')),
      };
      this.store.put(crds, current);
    });
  }
}
