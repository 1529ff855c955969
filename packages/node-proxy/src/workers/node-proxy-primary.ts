/**
 * The node-proxy's primary process with `--workers N`: the one control loop of the node. It builds the
 * snapshot itself (for problems, Events, the debug endpoint and the snapshot metrics), passes the inputs on
 * to the workers that serve traffic (worker-fleet.ts) with the workload identities the control loop holds,
 * and serves the admin endpoints once for the node: readiness from the workers, metrics added up across them.
 */
import type { Logger } from '@nodemesh/kube-runtime';
import {
  type FamilySnapshot,
  mergeFamilies,
  PROMETHEUS_CONTENT_TYPE,
  renderExposition,
} from '@nodemesh/kube-runtime/metrics';
import type { FastifyInstance } from 'fastify';
import { createAdminServer } from '../admin/admin-server.js';
import { createDebugServer, DEBUG_HOST } from '../admin/debug-server.js';
import type { DataPlane } from '../data-plane.js';
import type { CallerIndex } from '../metrics/caller-index.js';
import { ProxyMetrics } from '../metrics/proxy-metrics.js';
import { EMPTY_SNAPSHOT, type Snapshot } from '../snapshot/snapshot.js';
import { logSnapshot } from '../snapshot/snapshot-log.js';
import type { TopologyInputs } from '../topology/inputs.js';
import { createTopologyBuilder } from '../topology/topology-builder.js';
import { NodeProxyDirectory } from '../tunnel/node-proxy-directory.js';
import type { WorkerSettings } from './messages.js';
import { type IdentitySource, WorkerFleet, type WorkerFleetOptions } from './worker-fleet.js';

export interface NodeProxyPrimaryOptions {
  readonly workers: number;
  /** What every worker's NodeProxy is made with. */
  readonly settings: Omit<WorkerSettings, 'workers'>;
  readonly callers: CallerIndex;
  readonly adminHost: string;
  readonly adminPort: number;
  /** The debug listener (`/debug/snapshot`) on 127.0.0.1; false or absent: off. */
  readonly debugPort?: number | false;
  readonly logger: Logger;
  readonly fleet?: Pick<WorkerFleetOptions, 'restartBackoff' | 'scrapeTimeoutMs' | 'stopTimeoutMs'>;
}

export class NodeProxyPrimary implements DataPlane {
  readonly metrics = new ProxyMetrics();
  readonly fleet: WorkerFleet;
  readonly #builder = createTopologyBuilder();
  readonly #admin: FastifyInstance;
  readonly #debug: { readonly server: FastifyInstance; readonly port: number } | undefined;
  readonly #options: NodeProxyPrimaryOptions;
  readonly #log: Logger;
  #snapshot: Snapshot = EMPTY_SNAPSHOT;
  /** The node proxies of the cluster, fed by the control loop and handed to every worker. */
  readonly nodeProxies = new NodeProxyDirectory();

  constructor(options: NodeProxyPrimaryOptions) {
    this.#options = options;
    this.#log = options.logger;
    this.fleet = new WorkerFleet({
      workers: options.workers,
      settings: options.settings,
      callers: options.callers,
      nodeProxies: this.nodeProxies,
      logger: options.logger,
      ...options.fleet,
    });
    this.#admin = createAdminServer({
      readiness: () => this.fleet.readiness(),
      registry: { contentType: PROMETHEUS_CONTENT_TYPE, metrics: () => this.metricsText() },
    });
    const debugPort = options.debugPort ?? false;
    this.#debug =
      debugPort === false
        ? undefined
        : { server: createDebugServer({ snapshot: () => this.#snapshot }), port: debugPort };
  }

  get snapshot(): Snapshot {
    return this.#snapshot;
  }

  async applyInputs(inputs: TopologyInputs): Promise<Snapshot> {
    const started = performance.now();
    const snapshot = this.#builder.build(inputs);
    const buildSeconds = (performance.now() - started) / 1000;
    logSnapshot(this.#log, this.#snapshot, snapshot, buildSeconds);
    this.#snapshot = snapshot;
    this.metrics.snapshotApplied(snapshot.version, buildSeconds);
    this.fleet.update(inputs);
    return snapshot;
  }

  /** Every worker gets the identities, now and as they change. */
  useIdentities(identities: IdentitySource): void {
    this.fleet.shareIdentities(identities);
  }

  async resync(): Promise<void> {
    this.fleet.resync();
  }

  markSynced(): void {
    this.fleet.markSynced();
  }

  async start(): Promise<void> {
    await this.#admin.listen({ host: this.#options.adminHost, port: this.#options.adminPort });
    await this.#debug?.server.listen({ host: DEBUG_HOST, port: this.#debug.port });
    await this.fleet.start();
  }

  async stop(): Promise<void> {
    await this.fleet.stop();
    await this.#admin.close();
    await this.#debug?.server.close();
  }

  debugPort(): number | undefined {
    const address = this.#debug?.server.server.address();
    return typeof address === 'object' && address !== null ? address.port : undefined;
  }

  adminPort(): number | undefined {
    const address = this.#admin.server.address();
    return typeof address === 'object' && address !== null ? address.port : undefined;
  }

  /** Families of this process first (its snapshot figures win), then every worker's, added up. */
  async collect(): Promise<FamilySnapshot[]> {
    return mergeFamilies([this.metrics.registry.collect(), ...(await this.fleet.scrape())]);
  }

  async metricsText(): Promise<string> {
    return renderExposition(await this.collect());
  }
}
