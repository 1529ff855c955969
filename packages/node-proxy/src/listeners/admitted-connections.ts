/**
 * The long-lived connections of one listener (WebSocket tunnels, TCP connections) with what admitted them.
 * Each new snapshot re-checks them (admission.ts) and closes those it no longer admits, counting each in
 * `nodemesh_revoked_connections_total`.
 */
import type { ProxyMetrics, TrafficLabels } from '../metrics/proxy-metrics.js';
import type { Snapshot } from '../snapshot/snapshot.js';
import { type Admission, readmit } from './admission.js';

interface Entry {
  admission: Admission;
  readonly labels: TrafficLabels;
  readonly close: () => void;
}

export class AdmittedConnections {
  readonly #entries = new Set<Entry>();
  readonly #metrics: ProxyMetrics;
  readonly #accessControl: boolean;

  constructor(metrics: ProxyMetrics, accessControl: boolean) {
    this.#metrics = metrics;
    this.#accessControl = accessControl;
  }

  /** Tracks a connection until the returned function is called (when it closes). */
  add(admission: Admission, labels: TrafficLabels, close: () => void): () => void {
    const entry: Entry = { admission, labels, close };
    this.#entries.add(entry);
    return () => this.#entries.delete(entry);
  }

  /** Closes the connections `snapshot` no longer admits. */
  revalidate(snapshot: Snapshot): void {
    for (const entry of this.#entries) {
      const result = readmit(snapshot, this.#accessControl, entry.admission);
      if (result.admitted) {
        const { route, access } = result;
        if (route !== entry.admission.route || access !== entry.admission.access) {
          entry.admission = { ...entry.admission, route, access };
        }
        continue;
      }
      this.#entries.delete(entry);
      this.#metrics.connectionRevoked(entry.labels, entry.admission.protocol, result.reason);
      entry.close();
    }
  }

  get size(): number {
    return this.#entries.size;
  }
}
