import { type KubeObject, labelsOf } from '../api/kube-object.js';
import type { ObjectStore, StoreEvent } from '../store/object-store.js';
import {
  buildEndpointSlices,
  endpointsFromSlices,
  managedByLabel,
  managedByValue,
  sameSlice,
} from './endpoint-slices.js';

const slices = 'endpointslices.discovery.k8s.io';
const skipMirrorLabel = 'endpointslice.kubernetes.io/skip-mirror';

/**
 * Keeps EndpointSlices of Services with selectors in step with Pods and Services. Store events mark
 * namespaces dirty; one deferred pass rebuilds them (never writing from inside a store callback).
 */
export class EndpointSliceController {
  private readonly dirty = new Set<string>();
  private scheduled = false;
  private readonly unsubscribe: () => void;

  constructor(private readonly store: ObjectStore) {
    this.unsubscribe = store.subscribe((event) => this.onEvent(event));
    for (const svc of store.list('services')) this.dirty.add(svc.metadata.namespace ?? 'default');
    this.schedule();
  }

  stop(): void {
    this.unsubscribe();
    this.dirty.clear();
  }

  /** Rebuilds the slices of every dirty namespace now. */
  syncNow(): void {
    const namespaces = [...this.dirty];
    this.dirty.clear();
    for (const ns of namespaces) this.syncNamespace(ns);
  }

  private onEvent(event: StoreEvent): void {
    if (event.resource !== 'pods' && event.resource !== 'services' && event.resource !== slices) return;
    if (event.resource === slices && labelsOf(event.object)[managedByLabel] !== managedByValue) return;
    this.dirty.add(event.object.metadata.namespace ?? 'default');
    this.schedule();
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    queueMicrotask(() => {
      this.scheduled = false;
      this.syncNow();
    });
  }

  private syncNamespace(namespace: string): void {
    const services = this.store.list('services', namespace);
    const pods = this.store.list('pods', namespace);
    const existing = this.store
      .list(slices, namespace)
      .filter((s) => labelsOf(s)[managedByLabel] === managedByValue);
    const desired = new Map<string, KubeObject>();
    const endpoints = new Map<string, KubeObject>();
    for (const svc of services) {
      const built = buildEndpointSlices(svc, pods);
      for (const slice of built) desired.set(slice.metadata.name ?? '', slice);
      if (built.length > 0) endpoints.set(svc.metadata.name ?? '', endpointsFromSlices(svc, built));
    }
    this.syncEndpoints(namespace, endpoints);
    for (const slice of existing) {
      const name = slice.metadata.name ?? '';
      if (!desired.has(name)) this.store.remove(slices, namespace, name);
    }
    for (const [name, slice] of desired) {
      const current = existing.find((s) => s.metadata.name === name);
      if (current && sameSlice(current, slice)) continue;
      const next: KubeObject = current
        ? {
            ...slice,
            metadata: {
              ...current.metadata,
              labels: slice.metadata.labels,
              ownerReferences: slice.metadata.ownerReferences,
            },
          }
        : {
            ...slice,
            metadata: {
              ...slice.metadata,
              uid: crypto.randomUUID(),
              creationTimestamp: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
              generation: 1,
            },
          };
      if (current)
        next.metadata.generation =
          (typeof current.metadata.generation === 'number' ? current.metadata.generation : 1) + 1;
      this.store.put(slices, next);
    }
  }

  /** v1 Endpoints named after each Service with a selector; ours carry the skip-mirror label. */
  private syncEndpoints(namespace: string, desired: Map<string, KubeObject>): void {
    for (const current of this.store.list('endpoints', namespace)) {
      const name = current.metadata.name ?? '';
      if (labelsOf(current)[skipMirrorLabel] === 'true' && !desired.has(name)) {
        this.store.remove('endpoints', namespace, name);
      }
    }
    for (const [name, wanted] of desired) {
      const current = this.store.get('endpoints', namespace, name);
      const same =
        current &&
        JSON.stringify([current.subsets ?? null, current.metadata.labels ?? {}]) ===
          JSON.stringify([wanted.subsets ?? null, wanted.metadata.labels ?? {}]);
      if (same) continue;
      const next: KubeObject = current
        ? { ...wanted, metadata: { ...current.metadata, labels: wanted.metadata.labels } }
        : {
            ...wanted,
            metadata: {
              ...wanted.metadata,
              uid: crypto.randomUUID(),
              creationTimestamp: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
            },
          };
      if (!wanted.subsets) delete next.subsets;
      this.store.put('endpoints', next);
    }
  }
}
