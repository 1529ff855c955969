/**
 * What the control loop (kube/start-node-proxy.ts) drives: a NodeProxy serving traffic itself, or with
 * `--workers N` the primary that hands the inputs to its workers. Either builds a snapshot from the inputs
 * the loop assembles, and serves the admin endpoints.
 */
import type { WorkloadIdentities } from './identity/workload-identities.js';
import type { ProxyMetrics } from './metrics/proxy-metrics.js';
import type { Snapshot } from './snapshot/snapshot.js';
import type { TopologyInputs } from './topology/inputs.js';
import type { NodeProxyDirectory } from './tunnel/node-proxy-directory.js';

export interface DataPlane {
  /** Where the loop adds its watch-health metrics. */
  readonly metrics: ProxyMetrics;
  readonly snapshot: Snapshot;
  /** Builds the next snapshot (incrementally) and puts it in service. */
  applyInputs(inputs: TopologyInputs): Promise<Snapshot>;
  /** Puts the current snapshot in service again: listeners that failed to open are retried. */
  resync(): Promise<void>;
  /**
   * The node's workload identities, which the control loop obtains and renews: used in this process, or
   * handed to every worker.
   */
  useIdentities(identities: WorkloadIdentities): void;
  /** The node proxies of the cluster, which the control loop watches: where the tunnel reaches each node. */
  readonly nodeProxies: NodeProxyDirectory;
  /** The inputs have synced once: from then on it may report ready. */
  markSynced(): void;
  start(): Promise<void>;
  /** Drains in-flight work up to the drain deadline, then closes everything. */
  stop(): Promise<void>;
  adminPort(): number | undefined;
  /** The debug listener's port (127.0.0.1 only); undefined when it is off. */
  debugPort(): number | undefined;
}
