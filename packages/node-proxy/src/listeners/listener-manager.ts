/**
 * Opens and closes listeners as the snapshot's ports come and go, leaving the others alone. Listeners
 * route with whatever snapshot is current, so only the set of ports matters here.
 */
import type { Snapshot } from '../snapshot/snapshot.js';
import { ConnectionLimiter, type ConnectionLimits, DEFAULT_CONNECTION_LIMITS } from './connection-limiter.js';
import {
  DEFAULT_HTTP_ENTRYPOINT_OPTIONS,
  HttpEntrypoint,
  type HttpEntrypointOptions,
} from './http-entrypoint.js';
import type { Listener, ListenerKind, RoutingContext } from './listener.js';
import { TcpListener } from './tcp-listener.js';
import { DEFAULT_UDP_OPTIONS, UdpListener, type UdpListenerOptions } from './udp-listener.js';
import type { UpstreamPools } from './upstream-pools.js';

export interface ListenerManagerOptions {
  /** The address listeners bind; 127.0.0.1 in tests and local mode, `0.0.0.0` or `::` in a pod. */
  readonly host: string;
  /** The port to bind for a snapshot port; identity by default, `() => 0` in tests. */
  readonly bindPort: (kind: ListenerKind, logicalPort: number) => number;
  /** How long a closing listener waits for in-flight work. */
  readonly drainMs: number;
  readonly http: HttpEntrypointOptions;
  readonly udp: UdpListenerOptions;
  /** Open connections on the HTTP entrypoints and TCP listeners together, per source and in total. */
  readonly connections: ConnectionLimits;
}

export const DEFAULT_LISTENER_MANAGER_OPTIONS: ListenerManagerOptions = {
  host: '127.0.0.1',
  bindPort: (_kind, port) => port,
  drainMs: 10_000,
  http: DEFAULT_HTTP_ENTRYPOINT_OPTIONS,
  udp: DEFAULT_UDP_OPTIONS,
  connections: DEFAULT_CONNECTION_LIMITS,
};

/** A listener that could not be opened, for the caller to log; it is retried on the next reconcile. */
export interface ListenerFailure {
  readonly kind: ListenerKind;
  readonly port: number;
  readonly error: string;
}

export class ListenerManager {
  readonly #ctx: RoutingContext;
  readonly #pools: UpstreamPools;
  readonly #options: ListenerManagerOptions;
  readonly #listeners = new Map<string, Listener>();
  /** Shared by every HTTP entrypoint and TCP listener: the limits are the node's, not a port's. */
  readonly #limiter: ConnectionLimiter;
  /** Listeners removed from the snapshot that are still draining; `close()` waits for them. */
  readonly #draining = new Set<Promise<void>>();
  /** Reconciles run one after another, so two snapshots in quick succession never race on a port. */
  #queue: Promise<unknown> = Promise.resolve();

  constructor(ctx: RoutingContext, pools: UpstreamPools, options: Partial<ListenerManagerOptions> = {}) {
    this.#ctx = ctx;
    this.#pools = pools;
    this.#options = { ...DEFAULT_LISTENER_MANAGER_OPTIONS, ...options };
    this.#limiter = new ConnectionLimiter(this.#options.connections);
  }

  /** Makes the open listeners those the snapshot needs. Resolves with the ones that failed to open. */
  reconcile(snapshot: Snapshot): Promise<ListenerFailure[]> {
    const run = this.#queue.then(() => this.#reconcile(snapshot));
    this.#queue = run.catch(() => undefined);
    return run;
  }

  /** The bound port of a listener, by its snapshot port. */
  boundPort(kind: ListenerKind, logicalPort: number): number | undefined {
    return this.#listeners.get(`${kind}:${logicalPort}`)?.boundPort();
  }

  /** `kind:port` of every open listener. */
  openListeners(): string[] {
    return [...this.#listeners.keys()].sort();
  }

  /** Drains and closes every listener. */
  close(): Promise<void> {
    const run = this.#queue.then(async () => {
      const all = [...this.#listeners.values()];
      this.#listeners.clear();
      await Promise.all([...all.map((l) => l.close(this.#options.drainMs)), ...this.#draining]);
    });
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async #reconcile(snapshot: Snapshot): Promise<ListenerFailure[]> {
    const wanted = new Map<string, { kind: ListenerKind; port: number }>();
    for (const port of snapshot.http.keys()) wanted.set(`http:${port}`, { kind: 'http', port });
    for (const port of snapshot.tcp.keys()) wanted.set(`tcp:${port}`, { kind: 'tcp', port });
    for (const port of snapshot.udp.keys()) wanted.set(`udp:${port}`, { kind: 'udp', port });

    for (const [key, listener] of this.#listeners) {
      // Tunnels and TCP connections the new snapshot no longer admits end now (also on a listener going away,
      // rather than after its drain: a removed route admits nothing).
      listener.revalidate?.(snapshot);
      if (!wanted.has(key)) {
        this.#listeners.delete(key);
        // The port is released at once; the drain goes on without holding up the next snapshot.
        const drain = listener.close(this.#options.drainMs).catch(() => undefined);
        this.#draining.add(drain);
        drain.finally(() => this.#draining.delete(drain));
      }
    }
    const failures: ListenerFailure[] = [];
    const opening = [...wanted].filter(([key]) => !this.#listeners.has(key));
    await Promise.all(
      opening.map(async ([key, { kind, port }]) => {
        const listener = this.#create(kind, port);
        try {
          await listener.listen(this.#options.host, this.#options.bindPort(kind, port));
          this.#listeners.set(key, listener);
        } catch (err) {
          failures.push({ kind, port, error: err instanceof Error ? err.message : String(err) });
          await listener.close(0).catch(() => undefined);
        }
      }),
    );
    return failures;
  }

  #create(kind: ListenerKind, port: number): Listener {
    switch (kind) {
      case 'http':
        return new HttpEntrypoint(port, this.#ctx, this.#pools, this.#options.http, this.#limiter);
      case 'tcp':
        return new TcpListener(port, this.#ctx, this.#limiter);
      case 'udp':
        return new UdpListener(port, this.#ctx, this.#options.udp);
    }
  }
}
