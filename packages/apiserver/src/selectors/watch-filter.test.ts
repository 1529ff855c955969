import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../api/kube-object.js';
import type { Selection } from '../api/object-api.js';
import type { StoreEvent } from '../store/object-store.js';
import { parseLabelSelector } from './label-selector.js';
import { eventForWatcher } from './watch-filter.js';

function pod(rv: string, labels: Record<string, string>, namespace = 'a'): KubeObject {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace, resourceVersion: rv, labels } };
}

const parsed = parseLabelSelector('app=web');
const selection: Selection = { labels: parsed.ok ? parsed.value : [], fields: [], namespace: 'a' };

function event(type: StoreEvent['type'], object: KubeObject, previous?: KubeObject): StoreEvent {
  const e: StoreEvent = {
    type,
    resource: 'pods',
    resourceVersion: Number(object.metadata.resourceVersion),
    object,
  };
  if (previous) e.previous = previous;
  return e;
}

describe('eventForWatcher', () => {
  it('passes events of selected objects through', () => {
    expect(eventForWatcher(selection, event('ADDED', pod('1', { app: 'web' })))?.type).toBe('ADDED');
    expect(
      eventForWatcher(selection, event('MODIFIED', pod('2', { app: 'web' }), pod('1', { app: 'web' })))?.type,
    ).toBe('MODIFIED');
    expect(
      eventForWatcher(selection, event('DELETED', pod('3', { app: 'web' }), pod('2', { app: 'web' })))?.type,
    ).toBe('DELETED');
  });

  it('hides objects outside the selection or namespace', () => {
    expect(eventForWatcher(selection, event('ADDED', pod('1', { app: 'db' })))).toBeUndefined();
    expect(eventForWatcher(selection, event('ADDED', pod('1', { app: 'web' }, 'b')))).toBeUndefined();
  });

  it('turns moves into and out of the selection into ADDED and DELETED', () => {
    const into = eventForWatcher(
      selection,
      event('MODIFIED', pod('5', { app: 'web' }), pod('4', { app: 'db' })),
    );
    expect(into?.type).toBe('ADDED');
    const out = eventForWatcher(
      selection,
      event('MODIFIED', pod('6', { app: 'db' }), pod('5', { app: 'web' })),
    );
    expect(out?.type).toBe('DELETED');
    expect(out?.object.metadata.resourceVersion).toBe('6');
    expect(out?.object.metadata.labels).toEqual({ app: 'web' });
  });
});
