/**
 * The node-proxy composed: snapshot in, listeners, balancer, metrics and admin around it. Whatever feeds it
 * (informers later, tests now) calls `applyInputs` or `applySnapshot`; the new snapshot takes effect with one
 * assignment, and the listener set follows.
 */
import { type Logger, silentLogger } from '@nodemesh/kube-runtime/logger';
import type { FastifyInstance } from 'fastify';
import { createAdminServer } from './admin/admin-server.js';
import { createDebugServer, DEBUG_HOST } from './admin/debug-server.js';
import { EndpointBalancer } from './balancer/endpoint-balancer.js';
import { defaultRandom, type RandomSource } from './balancer/random.js';
import type { DataPlane } from './data-plane.js';
import type { IdentityStore } from './identity/identity-store.js';
import { type ConnectionLimits, DEFAULT_CONNECTION_LIMITS } from './listeners/connection-limiter.js';
import { DEFAULT_HTTP_ENTRYPOINT_OPTIONS, type HttpEntrypointOptions } from './listeners/http-entrypoint.js';
import type { ListenerKind, PolicyContext, RoutingContext } from './listeners/listener.js';
import { type ListenerFailure, ListenerManager } from './listeners/listener-manager.js';
import { DEFAULT_UDP_OPTIONS, type UdpListenerOptions } from './listeners/udp-listener.js';
import { DEFAULT_UPSTREAM_OPTIONS, type UpstreamOptions, UpstreamPools } from './listeners/upstream-pools.js';
import type { CallerIndex } from './metrics/caller-index.js';
import { type CallerResolver, unknownCallers } from './metrics/caller-resolver.js';
import { ProxyMetrics } from './metrics/proxy-metrics.js';
import { DEFAULT_RETRY_BODY_LIMIT } from './resilience/buffered-body.js';
import { CircuitBreakers } from './resilience/circuit-breakers.js';
import { RateLimiters } from './resilience/rate-limiters.js';
import { DEFAULT_RETRY_BUDGET, type RetryBudgetConfig } from './resilience/retry-budget.js';
import { RetryBudgets } from './resilience/retry-budgets.js';
import { EMPTY_SNAPSHOT, type Snapshot } from './snapshot/snapshot.js';
import { logSnapshot } from './snapshot/snapshot-log.js';
import type { TopologyInputs } from './topology/inputs.js';
import { createTopologyBuilder } from './topology/topology-builder.js';
import { DEFAULT_OTLP_OPTIONS, OtlpExporter, type OtlpExporterOptions } from './tracing/otlp-exporter.js';
import { Tracer, type TracingOptions } from './tracing/tracer.js';
import { type CallerTunnelOptions, tunnelRouter } from './tunnel/caller-tunnel.js';
import { InboundTunnel, type InboundTunnelOptions, type TunnelSettings } from './tunnel/inbound-tunnel.js';
import { NodeProxyDirectory } from './tunnel/node-proxy-directory.js';
import type { TunnelClient } from './tunnel/tunnel-client.js';
import { connectionShare, udpShare } from './workers/worker-share.js';

export interface NodeProxyOptions {
  /** Address the traffic listeners bind (default 127.0.0.1). */
  readonly listenHost?: string;
  /** Port to bind for a snapshot port (default: the same number; tests pass `() => 0`). */
  readonly bindPort?: (kind: ListenerKind, logicalPort: number) => number;
  /** Admin address and port (default 127.0.0.1:9090, the deploy manifests' `admin` port; 0 picks one). */
  readonly adminHost?: string;
  readonly adminPort?: number;
  /**
   * The debug listener (`/debug/snapshot`), always on 127.0.0.1 (reached with `kubectl port-forward`):
   * its port, 0 to pick one; absent or `false`: no debug listener (the binary's `--debug-port` is 9091).
   */
  readonly debugPort?: number | false;
  /** How long stop() and removed listeners wait for in-flight work (default 10 s). */
  readonly drainMs?: number;
  readonly random?: RandomSource;
  readonly callers?: CallerResolver;
  readonly http?: Partial<HttpEntrypointOptions>;
  readonly udp?: Partial<UdpListenerOptions>;
  /**
   * Open connections on the HTTP entrypoints and TCP listeners, per source pod and in total: the node's
   * limits (with `workers` > 1 this process enforces its share, as with `udp`'s session limits).
   */
  readonly connections?: Partial<ConnectionLimits>;
  readonly upstream?: Partial<UpstreamOptions>;
  /** Where snapshot problems and listener failures are logged (default: nowhere). */
  readonly logger?: Logger;
  /**
   * SMI access control. On: only calls a TrafficTarget allows pass, and callers this node does not know are
   * denied. Off (default): everything passes; TrafficTargets are still compiled and their problems reported.
   */
  readonly accessControl?: boolean;
  /** Tracing to an OTLP/HTTP JSON endpoint; absent: off, and no span objects are made. */
  readonly tracing?: TracingOptions & Partial<Omit<OtlpExporterOptions, 'endpoint'>>;
  /** Retry budget per destination Service (default: 20 % of the last 10 s of requests, plus 10 per second). */
  readonly retryBudget?: Partial<RetryBudgetConfig>;
  /** Largest request body buffered for retries (default 64 KiB); larger bodies stream and are not retried. */
  readonly retryBodyLimit?: number;
  /** Serve the admin endpoints (default true; a worker of a fleet leaves them to its primary). */
  readonly admin?: boolean;
  /**
   * How many workers share this node's traffic (default 1). Each holds its share of the per-Service policy
   * state (rate limits, breaker volume thresholds and retry budget floors) and of the connection and UDP
   * session limits: they are divided among them.
   */
  readonly workers?: number;
  /**
   * The tunnel server of mTLS between node proxies (docs/mtls.md), on `listenHost`; absent: none. It presents
   * the identity `settings` names (from `useIdentities`) and serves the Running pods of `pods`.
   */
  readonly tunnel?: {
    readonly settings: TunnelSettings;
    readonly pods: CallerIndex;
    readonly server?: InboundTunnelOptions['server'];
  };
  /**
   * The caller side of mTLS between node proxies (docs/mtls.md): this proxy's node, the tunnel port, and the
   * node proxies' identity. Absent: no pod is known as local, and no call can use the tunnel.
   */
  readonly mtls?: CallerTunnelOptions;
  /** The directory of node proxies to route with (a worker's, fed by its primary); default: a new one. */
  readonly nodeProxies?: NodeProxyDirectory;
}

export class NodeProxy implements DataPlane {
  readonly metrics = new ProxyMetrics();
  #snapshot: Snapshot = EMPTY_SNAPSHOT;
  readonly #builder = createTopologyBuilder();
  readonly #pools: UpstreamPools;
  readonly #listeners: ListenerManager;
  readonly #admin: FastifyInstance | undefined;
  readonly #adminHost: string;
  readonly #adminPort: number;
  readonly #debug: { readonly server: FastifyInstance; readonly port: number } | undefined;
  #synced = false;
  #started = false;
  /** The version whose listeners are all open; readiness waits for the current one. */
  #listenersVersion = -1;
  #lastFailures: ListenerFailure[] = [];
  readonly #log: Logger;
  readonly #policy: PolicyContext;
  #identities: IdentityStore | undefined;
  readonly #tunnel: InboundTunnel | undefined;
  readonly #drainMs: number;
  /** The node proxy of each node, for the tunnel: fed by the control loop (a worker: by its primary). */
  readonly nodeProxies: NodeProxyDirectory;
  /** The caller's end of the tunnel; undefined without `mtls.serverIdentity`. */
  readonly tunnelClient: TunnelClient | undefined;

  constructor(options: NodeProxyOptions = {}) {
    this.#log = options.logger ?? silentLogger;
    this.#drainMs = options.drainMs ?? 10_000;
    const workers = options.workers ?? 1;
    this.#policy = {
      accessControl: options.accessControl ?? false,
      limiters: new RateLimiters(undefined, workers),
      breakers: new CircuitBreakers({
        onState: (key, state) => this.metrics.breakerState(key, state),
        workers,
      }),
      retryBudgets: new RetryBudgets({ ...DEFAULT_RETRY_BUDGET, ...options.retryBudget }, undefined, workers),
      tracer: options.tracing === undefined ? undefined : this.#tracer(options.tracing),
      retryBodyLimit: options.retryBodyLimit ?? DEFAULT_RETRY_BODY_LIMIT,
    };
    this.#pools = new UpstreamPools({ ...DEFAULT_UPSTREAM_OPTIONS, ...options.upstream });
    this.nodeProxies = options.nodeProxies ?? new NodeProxyDirectory();
    const tunnels = tunnelRouter(options.mtls, this.nodeProxies, (namespace, serviceAccount) =>
      this.#identities?.secureContextFor(namespace, serviceAccount),
    );
    this.tunnelClient = tunnels.client;
    const ctx: RoutingContext = {
      snapshot: () => this.#snapshot,
      balancer: new EndpointBalancer(options.random ?? defaultRandom),
      random: options.random ?? defaultRandom,
      metrics: this.metrics,
      callers: options.callers ?? unknownCallers,
      policy: this.#policy,
      tunnels: tunnels.router,
    };
    this.#listeners = new ListenerManager(ctx, this.#pools, {
      host: options.listenHost ?? '127.0.0.1',
      ...(options.bindPort === undefined ? {} : { bindPort: options.bindPort }),
      drainMs: options.drainMs ?? 10_000,
      http: { ...DEFAULT_HTTP_ENTRYPOINT_OPTIONS, ...options.http },
      // With workers, each enforces its share of the node's limits (workers/worker-share.ts).
      udp: udpShare({ ...DEFAULT_UDP_OPTIONS, ...options.udp }, workers),
      connections: connectionShare({ ...DEFAULT_CONNECTION_LIMITS, ...options.connections }, workers),
    });
    this.#adminHost = options.adminHost ?? '127.0.0.1';
    this.#adminPort = options.adminPort ?? 9090;
    this.#admin =
      options.admin === false
        ? undefined
        : createAdminServer({
            readiness: () => this.readiness(),
            registry: this.metrics.registry,
          });
    const debugPort = options.debugPort ?? false;
    this.#debug =
      debugPort === false
        ? undefined
        : { server: createDebugServer({ snapshot: () => this.#snapshot }), port: debugPort };
    this.#tunnel =
      options.tunnel === undefined
        ? undefined
        : new InboundTunnel({
            ...options.tunnel,
            host: options.listenHost ?? '127.0.0.1',
            snapshot: () => this.#snapshot,
            identities: () => this.#identities,
            accessControl: this.#policy.accessControl,
            logger: this.#log,
            registry: this.metrics.registry,
          });
  }

  /** The snapshot in use. */
  get snapshot(): Snapshot {
    return this.#snapshot;
  }

  /** Builds a snapshot from the inputs (incrementally) and applies it. */
  async applyInputs(inputs: TopologyInputs): Promise<Snapshot> {
    const started = performance.now();
    const snapshot = this.#builder.build(inputs);
    await this.applySnapshot(snapshot, (performance.now() - started) / 1000);
    return snapshot;
  }

  /** Applies the current snapshot again: listeners that failed to open are tried again. */
  async resync(): Promise<void> {
    await this.applySnapshot(this.#snapshot);
  }

  /** Swaps in a snapshot, then opens and closes listeners to match. Resolves with listeners that failed. */
  async applySnapshot(snapshot: Snapshot, buildSeconds?: number): Promise<ListenerFailure[]> {
    const previous = this.#snapshot;
    this.#snapshot = snapshot;
    logSnapshot(this.#log, previous, snapshot, buildSeconds);
    this.metrics.prepare(snapshot);
    this.metrics.snapshotApplied(snapshot.version, buildSeconds);
    this.#prunePolicyState(snapshot);
    this.#tunnel?.snapshotChanged();
    if (!this.#started) return [];
    this.#pools.prune(snapshot);
    return this.#syncListeners(snapshot);
  }

  /**
   * The workload identities of the node's ServiceAccounts: the control loop's own in one process, what the
   * primary sent in a worker. For the mTLS between node proxies that comes next.
   */
  useIdentities(identities: IdentityStore): void {
    this.#identities = identities;
  }

  /** The identities in use, once given. */
  get identities(): IdentityStore | undefined {
    return this.#identities;
  }

  /** Tells the proxy its inputs have synced once: from then on it may report ready. */
  markSynced(): Promise<void> {
    this.#synced = true;
    // The tunnel port opens only now: before, every stream would be refused for want of pods and routes.
    // Resolves once it is open (or could not be): a worker reports its readiness after.
    return this.#started && this.#tunnel !== undefined
      ? this.#tunnel.open().then(() => undefined)
      : Promise.resolve();
  }

  async start(): Promise<void> {
    this.#started = true;
    await this.#admin?.listen({ host: this.#adminHost, port: this.#adminPort });
    await this.#debug?.server.listen({ host: DEBUG_HOST, port: this.#debug.port });
    await this.#syncListeners(this.#snapshot);
  }

  /** Stops accepting, drains in-flight work up to the drain deadline, closes everything. */
  async stop(): Promise<void> {
    this.#started = false;
    await Promise.all([this.#listeners.close(), this.#tunnel?.close(this.#drainMs)]);
    await this.#pools.close();
    await this.tunnelClient?.close();
    await this.#admin?.close();
    await this.#debug?.server.close();
    this.#policy.breakers.clear();
    await this.#policy.tracer?.shutdown();
  }

  /** Whether access control is on. */
  get accessControl(): boolean {
    return this.#policy.accessControl;
  }

  #tracer(options: NonNullable<NodeProxyOptions['tracing']>): Tracer {
    const exporter = new OtlpExporter({ ...DEFAULT_OTLP_OPTIONS, ...options }, (stats) =>
      this.metrics.spanTotals(stats.exported, stats.dropped),
    );
    return new Tracer(exporter, options.sampleRatio ?? 1);
  }

  /**
   * Limiters, breakers and budgets live across snapshots, keyed by Service; those whose Service or config is
   * gone are dropped here (a changed config is rebuilt on its next use).
   */
  #prunePolicyState(snapshot: Snapshot): void {
    const { services } = snapshot;
    this.#policy.limiters.prune((key) => services.get(key)?.rateLimit !== undefined);
    this.#policy.breakers.prune((key) => services.has(key));
    this.#policy.retryBudgets.prune((key) => services.has(key));
  }

  /** The bound port of a listener, by its snapshot port. */
  boundPort(kind: ListenerKind, logicalPort: number): number | undefined {
    return this.#listeners.boundPort(kind, logicalPort);
  }

  /** The admin server's bound port, once started. */
  adminPort(): number | undefined {
    const address = this.#admin?.server.address();
    return typeof address === 'object' && address !== null ? address.port : undefined;
  }

  /** The debug listener's bound port (on 127.0.0.1), once started; undefined when it is off. */
  debugPort(): number | undefined {
    const address = this.#debug?.server.server.address();
    return typeof address === 'object' && address !== null ? address.port : undefined;
  }

  /** The tunnel server's bound port, once listening; undefined when there is none. */
  tunnelPort(): number | undefined {
    return this.#tunnel?.boundPort();
  }

  async #syncListeners(snapshot: Snapshot): Promise<ListenerFailure[]> {
    if (this.#synced) await this.#tunnel?.open();
    const failures = await this.#listeners.reconcile(snapshot);
    for (const failure of failures) {
      this.#log.error('listener could not open; retried with the next snapshot', { ...failure });
    }
    this.#lastFailures = failures;
    if (failures.length === 0) this.#listenersVersion = Math.max(this.#listenersVersion, snapshot.version);
    return failures;
  }

  /** Ready: inputs synced once, started, and every listener of the current snapshot open. */
  readiness(): { ready: boolean; reason: string } {
    if (!this.#synced) return { ready: false, reason: 'inputs have not synced yet' };
    if (!this.#started) return { ready: false, reason: 'not started' };
    if (this.#lastFailures.length > 0) {
      const first = this.#lastFailures[0];
      return { ready: false, reason: `listener ${first?.kind}:${first?.port} failed: ${first?.error}` };
    }
    if (this.#tunnel !== undefined && !this.#tunnel.listening) {
      return { ready: false, reason: this.#tunnel.failure ?? 'tunnel port opening' };
    }
    if (this.#listenersVersion < this.#snapshot.version) return { ready: false, reason: 'listeners opening' };
    return { ready: true, reason: '' };
  }
}
