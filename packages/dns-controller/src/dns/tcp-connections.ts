/**
 * Who may hold the DNS server's TCP connections (pure bookkeeping, no sockets). One client address holds at
 * most `perClient` of them, so a single pod cannot fill the table by opening many connections and keeping each
 * alive with a query now and then. When the whole table is full, a newcomer takes the place of the
 * least recently active connection of the client holding the most, as long as that client holds more than
 * the newcomer would after admission (RFC 7766 §6.2.3 lets a server close idle connections under pressure).
 */

export interface TcpConnectionLimits {
  /** Open connections from one client address. */
  readonly perClient: number;
  /** Open connections in all. */
  readonly total: number;
}

export const DEFAULT_TCP_CONNECTION_LIMITS: TcpConnectionLimits = { perClient: 16, total: 256 };

export type Admission<C> =
  | { readonly admitted: true; readonly evicted: C | undefined }
  | { readonly admitted: false; readonly reason: 'per_client' | 'total' };

interface Entry {
  readonly client: string;
  lastActive: number;
}

export class TcpConnectionTable<C> {
  readonly #limits: TcpConnectionLimits;
  readonly #entries = new Map<C, Entry>();
  readonly #byClient = new Map<string, Set<C>>();

  constructor(limits: TcpConnectionLimits) {
    this.#limits = limits;
  }

  get size(): number {
    return this.#entries.size;
  }

  /** Admits a new connection from `client` at time `now`, or says why not; may name one to close for it. */
  admit(client: string, connection: C, now: number): Admission<C> {
    const held = this.#byClient.get(client)?.size ?? 0;
    if (held >= this.#limits.perClient) return { admitted: false, reason: 'per_client' };
    let evicted: C | undefined;
    if (this.#entries.size >= this.#limits.total) {
      evicted = this.#evictionFor(held + 1);
      if (evicted === undefined) return { admitted: false, reason: 'total' };
      this.release(evicted);
    }
    this.#entries.set(connection, { client, lastActive: now });
    const set = this.#byClient.get(client) ?? new Set<C>();
    set.add(connection);
    this.#byClient.set(client, set);
    return { admitted: true, evicted };
  }

  /** A complete query arrived on the connection. */
  touch(connection: C, now: number): void {
    const entry = this.#entries.get(connection);
    if (entry !== undefined) entry.lastActive = now;
  }

  /** The connection is gone (closed by either side, or evicted). */
  release(connection: C): void {
    const entry = this.#entries.get(connection);
    if (entry === undefined) return;
    this.#entries.delete(connection);
    const set = this.#byClient.get(entry.client);
    set?.delete(connection);
    if (set?.size === 0) this.#byClient.delete(entry.client);
  }

  /** The idlest connection of the biggest holder, if it holds more than `newcomerWouldHold`. */
  #evictionFor(newcomerWouldHold: number): C | undefined {
    let biggest: Set<C> | undefined;
    for (const set of this.#byClient.values())
      if (biggest === undefined || set.size > biggest.size) biggest = set;
    if (biggest === undefined || biggest.size <= newcomerWouldHold) return undefined;
    let idlest: C | undefined;
    let idlestAt = Number.POSITIVE_INFINITY;
    for (const connection of biggest) {
      const at = this.#entries.get(connection)?.lastActive ?? 0;
      if (at < idlestAt) {
        idlest = connection;
        idlestAt = at;
      }
    }
    return idlest;
  }
}
