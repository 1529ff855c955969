import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One watch event line as the API server writes it. */
interface WatchEvent {
  readonly type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'ERROR';
  readonly object: unknown;
  readonly rv: number;
}

/**
 * A minimal API server for one collection on 127.0.0.1: LIST returns the current objects with a
 * resourceVersion; WATCH replays events newer than the requested version, then streams new ones. Failures are
 * injected per request. Enough for client-node's ListWatch; not a general API server.
 */
export class FakeListWatchServer {
  readonly requests: URL[] = [];
  private readonly server: Server;
  private readonly objects = new Map<string, Record<string, unknown>>();
  private readonly log: WatchEvent[] = [];
  private readonly watchers = new Set<ServerResponse>();
  private version = 100;
  /** Watch requests waiting on `holdWatches`. */
  pendingWatches = 0;
  /** Watches resuming from a version below this get HTTP 410 Gone (as after etcd compaction). */
  compactedBelow = 0;
  /** When set, every watch is ended cleanly right after its headers, with no events. */
  endWatchesAtOnce = false;
  /** When set, watch requests wait for this promise before answering. */
  holdWatches: Promise<void> | undefined;
  /** Status codes for the next LIST requests, consumed in order. */
  readonly listFailures: number[] = [];
  /** Status codes for the next WATCH requests, consumed in order. */
  readonly watchFailures: number[] = [];

  constructor(readonly path: string) {
    this.server = createServer((req, res) => this.handle(req, res));
  }

  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    const { port } = this.server.address() as AddressInfo;
    return `http://127.0.0.1:${port}`;
  }

  async close(): Promise<void> {
    for (const watcher of this.watchers) watcher.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  openWatches(): number {
    return this.watchers.size;
  }

  put(name: string, fields: Record<string, unknown> = {}, namespace = 'demo'): void {
    const key = `${namespace}/${name}`;
    const type = this.objects.has(key) ? 'MODIFIED' : 'ADDED';
    const rv = ++this.version;
    const object = { metadata: { namespace, name, resourceVersion: String(rv) }, ...fields };
    this.objects.set(key, object);
    this.emit({ type, object, rv });
  }

  remove(name: string, namespace = 'demo'): void {
    const key = `${namespace}/${name}`;
    const object = this.objects.get(key);
    if (object === undefined) return;
    this.objects.delete(key);
    const rv = ++this.version;
    const metadata = { ...(object.metadata as Record<string, unknown>), resourceVersion: String(rv) };
    this.emit({ type: 'DELETED', object: { ...object, metadata }, rv });
  }

  /** Sends a raw line to every open watch (for malformed events). */
  sendRaw(line: string): void {
    for (const watcher of this.watchers) watcher.write(`${line}\n`);
  }

  /** Sends a watch ERROR event with a Status of 410 and closes the watches, as the API server does. */
  expireWatches(): void {
    this.compactedBelow = this.version;
    const status = {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      code: 410,
      reason: 'Expired',
    };
    this.sendRaw(JSON.stringify({ type: 'ERROR', object: status }));
    this.closeWatches();
  }

  /** Ends every open watch cleanly. */
  closeWatches(): void {
    for (const watcher of this.watchers) watcher.end();
    this.watchers.clear();
  }

  /** Compacts the history: watches resuming from before the latest version get 410. */
  compact(): void {
    this.compactedBelow = this.version;
  }

  /** Adds an object that is missing metadata to the store, as a broken server might. */
  putMalformed(object: Record<string, unknown>): void {
    this.objects.set(`malformed/${this.objects.size}`, object);
  }

  private emit(event: WatchEvent): void {
    this.log.push(event);
    const line = `${JSON.stringify({ type: event.type, object: event.object })}\n`;
    for (const watcher of this.watchers) watcher.write(line);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    this.requests.push(url);
    if (url.pathname !== this.path) {
      res.writeHead(404).end();
      return;
    }
    const watching = url.searchParams.get('watch') === 'true';
    const failure = watching ? this.watchFailures.shift() : this.listFailures.shift();
    if (failure !== undefined) {
      res.writeHead(failure, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ kind: 'Status', code: failure }));
      return;
    }
    if (!watching) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          kind: 'List',
          apiVersion: 'v1',
          metadata: { resourceVersion: String(this.version) },
          items: [...this.objects.values()],
        }),
      );
      return;
    }
    if (this.holdWatches !== undefined) {
      this.pendingWatches++;
      await this.holdWatches;
      this.pendingWatches--;
    }
    const from = Number(url.searchParams.get('resourceVersion') ?? '0');
    if (from < this.compactedBelow) {
      res.writeHead(410, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ kind: 'Status', code: 410, reason: 'Expired' }));
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    if (this.endWatchesAtOnce) {
      res.end();
      return;
    }
    res.flushHeaders();
    for (const event of this.log) {
      if (event.rv > from) res.write(`${JSON.stringify({ type: event.type, object: event.object })}\n`);
    }
    this.watchers.add(res);
    res.on('close', () => this.watchers.delete(res));
  }
}

/** Polls `check` every 10 ms until it holds, for at most `timeoutMs`; throws with `what` otherwise. */
export async function waitFor(what: string, check: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
