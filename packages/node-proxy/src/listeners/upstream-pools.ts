/**
 * One undici dispatcher per endpoint and scheme, with keep-alive, reused across snapshots while the endpoint
 * stays: a Pool for HTTP/1.1, a single multiplexed Client for h2c (undici's Pool does not pass `useH2c` on to
 * its connections, so an h2c Pool would speak HTTP/1.1). Those of endpoints gone from the snapshot are closed
 * when a new snapshot is applied.
 */
import type { Duplex } from 'node:stream';
import type { HttpScheme } from '@nodemesh/smi-types';
import { Client, type Dispatcher, Pool } from 'undici';
import type { Caller } from '../metrics/caller-resolver.js';
import type { Backend, Endpoint, Route, Snapshot } from '../snapshot/snapshot.js';
import { type TunnelledDispatcher, tunnelDispatcher } from './tunnel-dispatcher.js';

/** What opens tunnel streams (tunnel/tunnel-router.ts). */
export interface TunnelOpener {
  open(caller: Caller, endpoint: Endpoint): Promise<Duplex>;
}

export interface UpstreamOptions {
  /** Connections per endpoint (HTTP/1.1); h2c multiplexes on one. */
  readonly connectionsPerEndpoint: number;
  readonly connectTimeoutMs: number;
  /** Time to the upstream's response headers, and between body chunks. */
  readonly headersTimeoutMs: number;
  readonly bodyTimeoutMs: number;
  readonly keepAliveTimeoutMs: number;
}

export const DEFAULT_UPSTREAM_OPTIONS: UpstreamOptions = {
  connectionsPerEndpoint: 256,
  connectTimeoutMs: 5_000,
  headersTimeoutMs: 60_000,
  bodyTimeoutMs: 60_000,
  keepAliveTimeoutMs: 4_000,
};

/** undici 7 honours `useH2c` (HTTP/2 with prior knowledge) but its type declarations do not list it yet. */
const H2C = { useH2c: true } as const;

export class UpstreamPools {
  /** Open dispatchers by scheme, then by endpoint key: neither a request nor a prune builds a key string. */
  readonly #pools = new Map<HttpScheme, Map<string, Dispatcher>>();
  readonly #options: UpstreamOptions;
  /**
   * Dispatchers through the tunnel (tunnel-dispatcher.ts), by scheme, then caller ServiceAccount, then
   * endpoint key. The plaintext map above is not touched by them.
   */
  readonly #tunnelled = new Map<HttpScheme, Map<string, Map<string, TunnelledDispatcher>>>();
  /** `namespace/serviceAccount` of each caller object met, so a request builds no key string. */
  readonly #identityKeys = new WeakMap<Caller, string>();

  constructor(options: UpstreamOptions = DEFAULT_UPSTREAM_OPTIONS) {
    this.#options = options;
  }

  get(endpoint: Endpoint, scheme: HttpScheme): Dispatcher {
    let byKey = this.#pools.get(scheme);
    if (byKey === undefined) {
      byKey = new Map();
      this.#pools.set(scheme, byKey);
    }
    let pool = byKey.get(endpoint.key);
    if (pool === undefined) {
      const o = this.#options;
      const common = {
        connectTimeout: o.connectTimeoutMs,
        headersTimeout: o.headersTimeoutMs,
        bodyTimeout: o.bodyTimeoutMs,
        keepAliveTimeout: o.keepAliveTimeoutMs,
      };
      const origin = `http://${endpoint.key}`;
      pool =
        scheme === 'h2c'
          ? new Client(origin, Object.assign({ ...common, allowH2: true }, H2C))
          : new Pool(origin, { ...common, connections: o.connectionsPerEndpoint });
      byKey.set(endpoint.key, pool);
    }
    return pool;
  }

  /** The dispatcher whose connections are tunnel streams to `endpoint`, opened as `caller` by `tunnels`. */
  tunnelled(endpoint: Endpoint, scheme: HttpScheme, caller: Caller, tunnels: TunnelOpener): Dispatcher {
    let identity = this.#identityKeys.get(caller);
    if (identity === undefined) {
      identity = `${caller.namespace}/${caller.serviceAccount}`;
      this.#identityKeys.set(caller, identity);
    }
    let byIdentity = this.#tunnelled.get(scheme);
    if (byIdentity === undefined) {
      byIdentity = new Map();
      this.#tunnelled.set(scheme, byIdentity);
    }
    let byKey = byIdentity.get(identity);
    if (byKey === undefined) {
      byKey = new Map();
      byIdentity.set(identity, byKey);
    }
    let entry = byKey.get(endpoint.key);
    if (entry === undefined) {
      const o = this.#options;
      entry = tunnelDispatcher(
        endpoint,
        scheme,
        {
          connectTimeout: o.connectTimeoutMs,
          headersTimeout: o.headersTimeoutMs,
          bodyTimeout: o.bodyTimeoutMs,
          keepAliveTimeout: o.keepAliveTimeoutMs,
          connections: o.connectionsPerEndpoint,
        },
        (e) => tunnels.open(caller, e),
      );
      byKey.set(endpoint.key, entry);
    } else entry.endpoint = endpoint;
    return entry.dispatcher;
  }

  /**
   * Closes (gracefully) the pools of endpoints the snapshot no longer has. Only open pools are looked for:
   * with none open this returns at once, and otherwise each distinct route is walked once (a route is listed
   * under several Host keys).
   */
  prune(snapshot: Snapshot): void {
    this.#pruneTunnelled(snapshot);
    let open = 0;
    for (const byKey of this.#pools.values()) open += byKey.size;
    if (open === 0) return;
    const live = new Map<HttpScheme, Set<string>>();
    const seen = new Set<Route>();
    const visit = (route: Route): void => {
      if (seen.has(route)) return;
      seen.add(route);
      this.#markLive(route.root, live);
      for (const backend of route.split?.backends ?? []) this.#markLive(backend, live);
    };
    for (const route of snapshot.tcp.values()) visit(route);
    for (const route of snapshot.udp.values()) visit(route);
    for (const entry of snapshot.http.values()) for (const route of entry.hosts.values()) visit(route);
    for (const [scheme, byKey] of this.#pools) {
      const liveKeys = live.get(scheme);
      for (const [key, pool] of byKey) {
        if (liveKeys?.has(key) !== true) {
          byKey.delete(key);
          pool.close().catch(() => undefined);
        }
      }
    }
  }

  /** Closes the tunnelled dispatchers of endpoints the snapshot no longer has (none open: returns at once). */
  #pruneTunnelled(snapshot: Snapshot): void {
    if (this.#tunnelled.size === 0) return;
    const live = new Set<string>();
    const seen = new Set<Route>();
    const visit = (route: Route): void => {
      if (seen.has(route)) return;
      seen.add(route);
      for (const e of route.root.endpoints) live.add(e.key);
      for (const backend of route.split?.backends ?? []) for (const e of backend.endpoints) live.add(e.key);
    };
    for (const entry of snapshot.http.values()) for (const route of entry.hosts.values()) visit(route);
    for (const byIdentity of this.#tunnelled.values()) {
      for (const [identity, byKey] of byIdentity) {
        for (const [key, entry] of byKey) {
          if (live.has(key)) continue;
          byKey.delete(key);
          closeTunnelled(entry.dispatcher);
        }
        if (byKey.size === 0) byIdentity.delete(identity);
      }
    }
  }

  /** Records the backend's endpoints that have an open pool as live. */
  #markLive(backend: Backend, live: Map<HttpScheme, Set<string>>): void {
    const byKey = this.#pools.get(backend.scheme);
    if (byKey === undefined || byKey.size === 0) return;
    let keys = live.get(backend.scheme);
    for (const e of backend.endpoints) {
      if (!byKey.has(e.key)) continue;
      if (keys === undefined) {
        keys = new Set();
        live.set(backend.scheme, keys);
      }
      keys.add(e.key);
    }
  }

  async close(): Promise<void> {
    const pools = [...this.#pools.values()].flatMap((byKey) => [...byKey.values()]);
    for (const byIdentity of this.#tunnelled.values()) {
      for (const byKey of byIdentity.values())
        for (const entry of byKey.values()) pools.push(entry.dispatcher);
    }
    this.#pools.clear();
    this.#tunnelled.clear();
    await Promise.all(pools.map((p) => p.close().catch(() => p.destroy())));
  }
}

/**
 * Closes a tunnelled dispatcher: gracefully, and destroyed if that has not finished within `graceMs`. undici's
 * HTTP/2 side waits for its connection to close, and a tunnel stream closes only once both ends have ended,
 * which the pod behind the tunnel may never do.
 */
function closeTunnelled(dispatcher: Dispatcher, graceMs = 1_000): Promise<void> {
  const timer = setTimeout(() => dispatcher.destroy().catch(() => undefined), graceMs);
  timer.unref();
  return dispatcher
    .close()
    .catch(() => dispatcher.destroy())
    .catch(() => undefined)
    .finally(() => clearTimeout(timer));
}
