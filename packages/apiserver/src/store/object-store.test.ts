import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../api/kube-object.js';
import { ObjectStore, type StoreEvent } from './object-store.js';

function obj(name: string, namespace?: string, extra: Record<string, string> = {}): KubeObject {
  const metadata: KubeObject['metadata'] = { name, labels: extra };
  if (namespace) metadata.namespace = namespace;
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata };
}

describe('ObjectStore', () => {
  it('stamps one global, increasing resourceVersion on every change', () => {
    const store = new ObjectStore();
    const a = store.put('configmaps', obj('a', 'ns'));
    const b = store.put('pods', obj('b', 'ns'));
    const a2 = store.put('configmaps', obj('a', 'ns', { x: 'y' }));
    expect([a.metadata.resourceVersion, b.metadata.resourceVersion, a2.metadata.resourceVersion]).toEqual([
      '1',
      '2',
      '3',
    ]);
    expect(store.remove('configmaps', 'ns', 'a')?.metadata.resourceVersion).toBe('4');
    expect(store.resourceVersion).toBe(4);
    expect(store.remove('configmaps', 'ns', 'a')).toBeUndefined();
  });

  it('lists by namespace, sorted, and hands out copies', () => {
    const store = new ObjectStore();
    store.put('configmaps', obj('b', 'one'));
    store.put('configmaps', obj('a', 'one'));
    store.put('configmaps', obj('c', 'two'));
    expect(store.list('configmaps', 'one').map((o) => o.metadata.name)).toEqual(['a', 'b']);
    expect(store.list('configmaps').map((o) => o.metadata.name)).toEqual(['a', 'b', 'c']);
    const copy = store.get('configmaps', 'one', 'a');
    if (copy) copy.metadata.name = 'changed';
    expect(store.get('configmaps', 'one', 'a')?.metadata.name).toBe('a');
  });

  it('keeps a history of events per resource to resume watches from', () => {
    const store = new ObjectStore({ historySize: 10 });
    store.put('configmaps', obj('a', 'ns'));
    store.put('pods', obj('p', 'ns'));
    store.put('configmaps', obj('a', 'ns', { v: '2' }));
    store.remove('configmaps', 'ns', 'a');
    const events = store.eventsSince('configmaps', 1) ?? [];
    expect(events.map((e) => [e.type, e.resourceVersion])).toEqual([
      ['MODIFIED', 3],
      ['DELETED', 4],
    ]);
    expect(events[0]?.previous?.metadata.labels).toEqual({});
    expect(store.eventsSince('configmaps', 0)?.map((e) => e.type)).toEqual(['ADDED', 'MODIFIED', 'DELETED']);
  });

  it('reports expiry once the ring buffer has dropped events after the asked version', () => {
    const store = new ObjectStore({ historySize: 3 });
    for (let i = 0; i < 5; i++) store.put('configmaps', obj(`c${i}`, 'ns'));
    // Events 1 and 2 are gone: resuming from 2 still works (3..5 kept), from 1 does not.
    expect(store.oldestResumableVersion).toBe(2);
    expect(store.eventsSince('configmaps', 2)?.map((e) => e.resourceVersion)).toEqual([3, 4, 5]);
    expect(store.eventsSince('configmaps', 1)).toBeUndefined();
    expect(store.eventsSince('configmaps', 5)).toEqual([]);
  });

  it('notifies subscribers synchronously until they unsubscribe', () => {
    const store = new ObjectStore();
    const seen: StoreEvent[] = [];
    const off = store.subscribe((e) => seen.push(e));
    store.put('configmaps', obj('a'));
    off();
    store.put('configmaps', obj('b'));
    expect(seen.map((e) => e.object.metadata.name)).toEqual(['a']);
  });

  it('refuses to resume from a version newer than any it made, or from a store it replaced', () => {
    const store = new ObjectStore({ startAt: 40 });
    expect(store.eventsSince('configmaps', 41)).toBeUndefined();
    expect(store.eventsSince('configmaps', 40)).toBeUndefined();
    store.put('configmaps', obj('a'));
    expect(store.resourceVersion).toBe(41);
    expect(store.eventsSince('configmaps', 41)).toEqual([]);
    expect(store.eventsSince('configmaps', 40)).toBeUndefined();
    expect(new ObjectStore().eventsSince('configmaps', 3)).toBeUndefined();
  });

  it('rejects a nonsensical history size', () => {
    expect(() => new ObjectStore({ historySize: 0 })).toThrow(RangeError);
  });
});
