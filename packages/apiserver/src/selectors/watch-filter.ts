import type { KubeObject } from '../api/kube-object.js';
import { type Selection, selects } from '../api/object-api.js';
import type { StoreEvent } from '../store/object-store.js';

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

/**
 * What one watcher sees of a store event, given its selection: an object moving into the selection is
 * ADDED, one moving out is DELETED (with the new resourceVersion), as the real server does. Pure.
 */
export function eventForWatcher(
  selection: Selection,
  event: StoreEvent,
): { type: WatchEventType; object: KubeObject } | undefined {
  const nowMatches = event.type !== 'DELETED' && selects(selection, event.object);
  const before = event.previous;
  const beforeMatched = before !== undefined && selects(selection, before);
  if (event.type === 'ADDED') return nowMatches ? { type: 'ADDED', object: event.object } : undefined;
  if (event.type === 'DELETED') return beforeMatched ? { type: 'DELETED', object: event.object } : undefined;
  if (nowMatches && beforeMatched) return { type: 'MODIFIED', object: event.object };
  if (nowMatches) return { type: 'ADDED', object: event.object };
  if (beforeMatched && before) {
    const gone = structuredClone(before);
    gone.metadata.resourceVersion = event.object.metadata.resourceVersion;
    return { type: 'DELETED', object: gone };
  }
  return undefined;
}
