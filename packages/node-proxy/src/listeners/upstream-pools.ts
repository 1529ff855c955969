/**
 * One undici dispatcher per endpoint and scheme, with keep-alive, reused across snapshots while the endpoint
 * stays: a Pool for HTTP/1.1, a single multiplexed Client for h2c (undici's Pool does not pass `useH2c` on to
 * its connections, so an h2c Pool would speak HTTP/1.1). Those of endpoints gone from the snapshot are closed
 * when a new snapshot is applied.
 */
import type { HttpScheme } from '@nodemesh/smi-types';
import { Client, type Dispatcher, Pool } from 'undici';
import type { Endpoint, Snapshot } from '../snapshot/snapshot.js';

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
  readonly #pools = new Map<string, Dispatcher>();
  readonly #options: UpstreamOptions;

  constructor(options: UpstreamOptions = DEFAULT_UPSTREAM_OPTIONS) {
    this.#options = options;
  }

  get(endpoint: Endpoint, scheme: HttpScheme): Dispatcher {
    const key = `${scheme} ${endpoint.key}`;
    let pool = this.#pools.get(key);
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
      this.#pools.set(key, pool);
    }
    return pool;
  }

  /** Closes (gracefully) the pools of endpoints the snapshot no longer has. */
  prune(snapshot: Snapshot): void {
    const live = new Set<string>();
    const routes = [...snapshot.tcp.values(), ...snapshot.udp.values()];
    for (const entry of snapshot.http.values()) routes.push(...entry.hosts.values());
    for (const route of routes) {
      for (const backend of [route.root, ...(route.split?.backends ?? [])]) {
        for (const e of backend.endpoints) live.add(`${backend.scheme} ${e.key}`);
      }
    }
    for (const [key, pool] of this.#pools) {
      if (!live.has(key)) {
        this.#pools.delete(key);
        pool.close().catch(() => undefined);
      }
    }
  }

  async close(): Promise<void> {
    const pools = [...this.#pools.values()];
    this.#pools.clear();
    await Promise.all(pools.map((p) => p.close().catch(() => p.destroy())));
  }
}
