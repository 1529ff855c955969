import { ApiError } from '../api/api-error.js';
import type { ObjectApi } from '../api/object-api.js';
import type { ResourceRegistry } from '../resources/resource-registry.js';
import { storageKey } from '../resources/resource-type.js';
import type { ObjectStore, StoreEvent } from '../store/object-store.js';

/**
 * Empties and then removes Namespaces marked for deletion, a little later, as the real namespace
 * controller does: so `kubectl delete -f` of a namespace and its contents deletes all of them, and new
 * content is refused (403) while the Namespace is Terminating. Objects held by finalizers keep the
 * Namespace until they go.
 */
export class NamespaceController {
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly unsubscribe: () => void;

  constructor(
    private readonly store: ObjectStore,
    private readonly registry: ResourceRegistry,
    private readonly api: ObjectApi,
    private readonly delayMs: number,
  ) {
    this.unsubscribe = store.subscribe((event) => this.onEvent(event));
    for (const ns of store.list('namespaces'))
      if (ns.metadata.deletionTimestamp) this.schedule(ns.metadata.name ?? '');
  }

  stop(): void {
    this.unsubscribe();
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }

  private onEvent(event: StoreEvent): void {
    if (event.resource !== 'namespaces' || event.type === 'DELETED') return;
    if (event.object.metadata.deletionTimestamp) this.schedule(event.object.metadata.name ?? '');
  }

  private schedule(name: string): void {
    if (this.timers.has(name)) return;
    const timer = setTimeout(() => {
      this.timers.delete(name);
      this.sweep(name);
    }, this.delayMs);
    timer.unref();
    this.timers.set(name, timer);
  }

  private sweep(name: string): void {
    const ns = this.store.get('namespaces', undefined, name);
    if (!ns?.metadata.deletionTimestamp) return;
    let remaining = 0;
    const seen = new Set<string>();
    for (const type of this.registry.all()) {
      const key = storageKey(type);
      if (!type.namespaced || seen.has(key)) continue;
      seen.add(key);
      for (const obj of this.store.list(key, name)) {
        try {
          const after = this.api.delete(type, name, obj.metadata.name ?? '', {});
          if (after.metadata.deletionTimestamp) remaining++;
        } catch (error) {
          if (!(error instanceof ApiError && error.reason === 'NotFound')) remaining++;
        }
      }
    }
    if (remaining > 0) this.schedule(name);
    else this.store.remove('namespaces', undefined, name);
  }
}
