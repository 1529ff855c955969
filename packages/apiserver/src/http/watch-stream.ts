import type { ServerResponse } from 'node:http';
import { statusObject } from '../api/api-error.js';
import type { JsonObject, KubeObject } from '../api/kube-object.js';
import { asServed, type Selection, selects } from '../api/object-api.js';
import { apiVersionOf, type ResourceType, storageKey } from '../resources/resource-type.js';
import { eventForWatcher } from '../selectors/watch-filter.js';
import type { ObjectStore, StoreEvent } from '../store/object-store.js';

export interface WatchRequest {
  type: ResourceType;
  selection: Selection;
  /** As given in the query; '' or '0' means "now, with the current objects as ADDED". */
  resourceVersion: string;
  allowBookmarks: boolean;
  timeoutSeconds: number;
  bookmarkIntervalMs: number;
  /** `sendInitialEvents=true`: after the current objects, a BOOKMARK marking the end of them. */
  sendInitialEvents: boolean;
  /** How an object is shown in an event (a Table row for kubectl); by default the object itself. */
  present?: (obj: KubeObject) => JsonObject | KubeObject;
}

/** Open watches, so a fault can end them all at once. */
export class WatchHub {
  private readonly closers = new Set<() => void>();

  add(close: () => void): () => void {
    this.closers.add(close);
    return () => this.closers.delete(close);
  }

  get size(): number {
    return this.closers.size;
  }

  /** Ends every open watch cleanly (the client sees the stream end and re-watches). */
  closeAll(): number {
    const all = [...this.closers];
    for (const close of all) close();
    return all.length;
  }
}

/**
 * Streams watch events as newline-delimited JSON until the timeout, the client leaving, or `hub.closeAll()`.
 * A resourceVersion older than the store's history gets one ERROR event with a 410 Expired Status, then
 * the stream ends, as on the real server.
 */
export function streamWatch(
  store: ObjectStore,
  hub: WatchHub,
  request: WatchRequest,
  res: ServerResponse,
): void {
  const { type, selection } = request;
  const resource = storageKey(type);
  res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private' });
  res.socket?.setNoDelay(true);
  res.flushHeaders();
  const send = (kind: string, object: JsonObject | StoreEvent['object']): void => {
    if (!res.writableEnded) res.write(`${JSON.stringify({ type: kind, object })}\n`);
  };
  const present = request.present;
  const served = (obj: StoreEvent['object']) =>
    present ? present(asServed(type, obj)) : asServed(type, obj);

  let since: number;
  if (request.resourceVersion === '' || request.resourceVersion === '0') {
    since = store.resourceVersion;
    for (const obj of store.list(resource, type.namespaced ? selection.namespace : undefined)) {
      if (selects(selection, obj)) send('ADDED', served(obj));
    }
    if (request.sendInitialEvents) {
      send('BOOKMARK', {
        kind: type.kind,
        apiVersion: apiVersionOf(type),
        metadata: { resourceVersion: String(since), annotations: { 'k8s.io/initial-events-end': 'true' } },
      });
    }
  } else {
    since = Number(request.resourceVersion);
    const backlog = store.eventsSince(resource, since);
    if (backlog === undefined) {
      const message =
        since > store.resourceVersion
          ? `resource version ${request.resourceVersion} is newer than this server's ${store.resourceVersion} (its state was reset)`
          : `too old resource version: ${request.resourceVersion} (${store.oldestResumableVersion})`;
      send('ERROR', statusObject(410, 'Expired', message));
      res.end();
      return;
    }
    for (const event of backlog) {
      const out = eventForWatcher(selection, event);
      if (out) send(out.type, served(out.object));
    }
  }

  const unsubscribe = store.subscribe((event) => {
    if (event.resource !== resource || event.resourceVersion <= since) return;
    const out = eventForWatcher(selection, event);
    if (out) send(out.type, served(out.object));
  });
  const bookmark = request.allowBookmarks
    ? setInterval(() => {
        send('BOOKMARK', {
          kind: type.kind,
          apiVersion: apiVersionOf(type),
          metadata: { resourceVersion: String(store.resourceVersion), annotations: {} },
        });
      }, request.bookmarkIntervalMs)
    : undefined;
  const timeout = setTimeout(() => close(), request.timeoutSeconds * 1000);
  let closed = false;
  const close = (): void => {
    if (closed) return;
    closed = true;
    unsubscribe();
    removeFromHub();
    if (bookmark) clearInterval(bookmark);
    clearTimeout(timeout);
    if (!res.writableEnded) res.end();
  };
  const removeFromHub = hub.add(close);
  res.on('close', close);
}
