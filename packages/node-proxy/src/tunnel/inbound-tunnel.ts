/**
 * The tunnel server as the node proxy runs it (docs/mtls.md, "The destination decides"): on `--listen-host`
 * and `--tunnel-port`, in every process that serves traffic (each worker of `--workers N` shares the port),
 * presenting the node proxies' own ServiceAccount certificate as it is at each handshake (so a renewal applies
 * to the next connection), authorising each stream from the current snapshot and the pods of this node
 * (tunnel-authorisation.ts, compiled again only when either changed), and counting by verified identity.
 *
 * A new snapshot re-checks the open streams too: a stream the new policy no longer admits is reset, as the TCP
 * listeners close a connection whose TrafficTarget is gone.
 */
import type { Logger } from '@nodemesh/kube-runtime/logger';
import type { MetricsRegistry } from '@nodemesh/kube-runtime/metrics';
import type { IdentityStore } from '../identity/identity-store.js';
import type { CallerIndex } from '../metrics/caller-index.js';
import type { Snapshot } from '../snapshot/snapshot.js';
import { portSharing } from '../workers/port-sharing.js';
import {
  authorise,
  compileTunnelAuthorisation,
  destinationOf,
  type TunnelAuthorisation,
} from './tunnel-authorisation.js';
import { TunnelMetrics } from './tunnel-metrics.js';
import { TunnelServer, type TunnelServerOptions } from './tunnel-server.js';

/** What a node proxy needs to serve the tunnel (plain data: it crosses to the workers). */
export interface TunnelSettings {
  /** The port, the same on every node (`--tunnel-port`). */
  readonly port: number;
  readonly trustDomain: string;
  /** The identity the server presents: the node proxies' ServiceAccount in the mesh namespace. */
  readonly namespace: string;
  readonly serviceAccount: string;
}

export interface InboundTunnelOptions {
  readonly settings: TunnelSettings;
  /** The address to listen on (`--listen-host`). */
  readonly host: string;
  /** The pods of this node (the callers index the pods informer or the primary feeds). */
  readonly pods: CallerIndex;
  readonly snapshot: () => Snapshot;
  /** The node's identities, once given (undefined: no handshake succeeds yet). */
  readonly identities: () => IdentityStore | undefined;
  readonly accessControl: boolean;
  readonly logger: Logger;
  readonly registry: MetricsRegistry;
  /** Timeouts and limits of the server (tests). */
  readonly server?: Omit<
    TunnelServerOptions,
    'trustDomain' | 'secureContext' | 'authorise' | 'logger' | 'observer'
  >;
}

export class InboundTunnel {
  readonly server: TunnelServer;
  readonly #o: InboundTunnelOptions;
  readonly #unsubscribe: () => void;
  #auth: TunnelAuthorisation | undefined;
  #podsChanged = true;
  #listening = false;
  #opening = false;
  #closed = false;
  #failure: string | undefined;

  constructor(options: InboundTunnelOptions) {
    this.#o = options;
    const { namespace, serviceAccount, trustDomain } = options.settings;
    const metrics = new TunnelMetrics((podIP, port) => destinationOf(this.#current(), podIP, port)?.spiffeId);
    this.server = new TunnelServer({
      ...options.server,
      trustDomain,
      secureContext: () => options.identities()?.secureContextFor(namespace, serviceAccount),
      authorise: (request) => authorise(this.#current(), request),
      logger: options.logger.child({ part: 'tunnel' }),
      observer: metrics,
    });
    metrics.register(options.registry, () => this.server.counts);
    this.#unsubscribe = options.pods.onChange(() => {
      this.#podsChanged = true;
    });
  }

  /** Listens, unless it already does; resolves with why it could not (retried at the next call). */
  async open(): Promise<string | undefined> {
    if (this.#listening || this.#opening || this.#closed) return undefined;
    this.#opening = true;
    try {
      await this.server.listen(this.#o.host, this.#o.settings.port, portSharing());
      if (this.#closed) {
        // Stopped while it was opening.
        await this.server.close(0);
        return undefined;
      }
      this.#listening = true;
      this.#failure = undefined;
      this.#o.logger.info('tunnel server listening', {
        host: this.#o.host,
        port: this.server.boundPort(),
        identity: `${this.#o.settings.namespace}/${this.#o.settings.serviceAccount}`,
      });
    } catch (error) {
      this.#failure = `tunnel port ${this.#o.host}:${this.#o.settings.port}: ${String(error)}`;
      this.#o.logger.error('tunnel server could not listen; retried with the next snapshot', {
        error: this.#failure,
      });
    } finally {
      this.#opening = false;
    }
    return this.#failure;
  }

  get listening(): boolean {
    return this.#listening;
  }

  /** Why the tunnel port could not be opened, if it could not. */
  get failure(): string | undefined {
    return this.#failure;
  }

  /** A new snapshot is in service: open streams it no longer admits are closed. */
  snapshotChanged(): void {
    if (this.server.counts.streamsOpen > 0) this.server.revalidate();
  }

  boundPort(): number | undefined {
    return this.server.boundPort();
  }

  /** Stops accepting, lets open streams finish up to `deadlineMs`, then cuts them. */
  async close(deadlineMs: number): Promise<void> {
    this.#closed = true;
    this.#unsubscribe();
    if (this.#listening) await this.server.close(deadlineMs);
    this.#listening = false;
  }

  /** The authorisation of the current snapshot and pods, compiled again only when one of them changed. */
  #current(): TunnelAuthorisation {
    const snapshot = this.#o.snapshot();
    if (this.#auth === undefined || this.#auth.snapshot !== snapshot || this.#podsChanged) {
      this.#podsChanged = false;
      this.#auth = compileTunnelAuthorisation({
        snapshot,
        pods: this.#o.pods.pods(),
        accessControl: this.#o.accessControl,
        trustDomain: this.#o.settings.trustDomain,
      });
    }
    return this.#auth;
  }
}
