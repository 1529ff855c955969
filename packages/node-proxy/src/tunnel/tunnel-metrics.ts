/**
 * The destination side of the tunnel in metrics, by verified identity: plain counters kept per (source SPIFFE
 * ID, destination SPIFFE ID) as streams are decided and closed, and the tunnel server's own counters, all
 * rendered only when scraped. A stream reaches its row through two map lookups (the source's ID is worked out
 * once per identity object, that is once per connection); no label object or string is built per stream.
 *
 * Label values are bounded: sources are ServiceAccounts that hold a certificate of the mesh CA, destinations
 * the ServiceAccounts of this node's pods, outcomes and reasons fixed lists.
 */
import {
  type FamilySnapshot,
  labelText,
  type MetricsRegistry,
  type SeriesSnapshot,
} from '@nodemesh/kube-runtime/metrics';
import { spiffeIdOf, type WorkloadIdentity } from '@nodemesh/smi-types';
import type { SpliceCounts } from './splice.js';
import type { StreamOutcome, TunnelServerCounts, TunnelStreamObserver } from './tunnel-server.js';
import type { TunnelTarget } from './tunnel-target.js';

/** The label value of a source or destination that is not a verified identity of this mesh. */
export const UNKNOWN_IDENTITY = 'unknown';

interface Row {
  readonly source: string;
  readonly destination: string;
  readonly outcomes: Map<StreamOutcome, number>;
  bytesToPod: number;
  bytesFromPod: number;
}

const STREAM_LABELS = ['source_identity', 'destination_identity', 'outcome'];
const BYTE_LABELS = ['source_identity', 'destination_identity', 'direction'];

/** `denied-by-policy` → `denied_by_policy`, as Prometheus label values are usually written. */
const outcomeLabel = (outcome: StreamOutcome): string => outcome.replaceAll('-', '_');

export class TunnelMetrics implements TunnelStreamObserver {
  readonly #destinationOf: (podIP: string, port: number) => string | undefined;
  readonly #sourceIds = new WeakMap<WorkloadIdentity, string>();
  readonly #rows = new Map<string, Map<string, Row>>();
  /** The row an accepted stream's bytes go to, bound when it was accepted. */
  readonly #streams = new WeakMap<TunnelTarget, Row>();

  /** `destinationOf`: the SPIFFE ID of the pod a target is, when it is one of this node's. */
  constructor(destinationOf: (podIP: string, port: number) => string | undefined) {
    this.#destinationOf = destinationOf;
  }

  decided(
    source: WorkloadIdentity | undefined,
    target: TunnelTarget | undefined,
    outcome: StreamOutcome,
  ): void {
    const row = this.#row(source, target);
    row.outcomes.set(outcome, (row.outcomes.get(outcome) ?? 0) + 1);
    if (outcome === 'accepted' && target !== undefined) this.#streams.set(target, row);
  }

  closed(source: WorkloadIdentity, target: TunnelTarget, bytes: SpliceCounts): void {
    const row = this.#streams.get(target) ?? this.#row(source, target);
    row.bytesToPod += bytes.bytesToPod;
    row.bytesFromPod += bytes.bytesFromPod;
  }

  /** Registers the families: these rows, and `counts()` of the tunnel server (undefined: not serving). */
  register(registry: MetricsRegistry, counts: () => TunnelServerCounts | undefined): void {
    registry.collector(() => this.#families(counts()));
  }

  #row(source: WorkloadIdentity | undefined, target: TunnelTarget | undefined): Row {
    const sourceId = source === undefined ? UNKNOWN_IDENTITY : this.#sourceId(source);
    const destinationId =
      (target === undefined ? undefined : this.#destinationOf(target.podIP, target.port)) ?? UNKNOWN_IDENTITY;
    let byDestination = this.#rows.get(sourceId);
    if (byDestination === undefined) {
      byDestination = new Map();
      this.#rows.set(sourceId, byDestination);
    }
    let row = byDestination.get(destinationId);
    if (row === undefined) {
      row = {
        source: sourceId,
        destination: destinationId,
        outcomes: new Map(),
        bytesToPod: 0,
        bytesFromPod: 0,
      };
      byDestination.set(destinationId, row);
    }
    return row;
  }

  #sourceId(source: WorkloadIdentity): string {
    let id = this.#sourceIds.get(source);
    if (id === undefined) {
      id = spiffeIdOf(source);
      this.#sourceIds.set(source, id);
    }
    return id;
  }

  #families(counts: TunnelServerCounts | undefined): FamilySnapshot[] {
    const streams: SeriesSnapshot[] = [];
    const bytes: SeriesSnapshot[] = [];
    for (const byDestination of this.#rows.values()) {
      for (const row of byDestination.values()) {
        for (const [outcome, value] of row.outcomes) {
          streams.push({
            labels: labelText(STREAM_LABELS, [row.source, row.destination, outcomeLabel(outcome)]),
            value,
          });
        }
        if (row.bytesToPod + row.bytesFromPod === 0) continue;
        bytes.push({
          labels: labelText(BYTE_LABELS, [row.source, row.destination, 'to_pod']),
          value: row.bytesToPod,
        });
        bytes.push({
          labels: labelText(BYTE_LABELS, [row.source, row.destination, 'from_pod']),
          value: row.bytesFromPod,
        });
      }
    }
    const families: FamilySnapshot[] = [
      counter(
        'nodemesh_tunnel_inbound_streams_total',
        'Tunnel streams from other node proxies, by verified source identity, destination pod identity and outcome (accepted, or the refusal).',
        streams,
      ),
      counter(
        'nodemesh_tunnel_inbound_bytes_total',
        'Bytes carried by tunnel streams that have closed, to and from the pods of this node, by verified identity.',
        bytes,
      ),
    ];
    if (counts === undefined) return families;
    const refused = Object.entries(counts.connectionsRefused).map(([reason, value]) => ({
      labels: labelText(['reason'], [reason.replaceAll('-', '_')]),
      value,
    }));
    families.push(
      counter(
        'nodemesh_tunnel_inbound_connections_refused_total',
        'TLS connections to the tunnel port refused before any stream, by reason (no_certificate, untrusted_certificate: another CA, …).',
        refused,
      ),
      counter(
        'nodemesh_tunnel_inbound_handshakes_total',
        'Mutual TLS connections admitted on the tunnel port (verified client certificate).',
        [{ labels: '', value: counts.handshakes }],
      ),
      gauge(
        'nodemesh_tunnel_inbound_connections_open',
        'Tunnel connections open now.',
        counts.connectionsOpen,
      ),
      gauge('nodemesh_tunnel_inbound_streams_open', 'Tunnel streams open now.', counts.streamsOpen),
      counter(
        'nodemesh_tunnel_inbound_streams_revoked_total',
        'Open tunnel streams closed because a newer policy or snapshot no longer admits them.',
        [{ labels: '', value: counts.streamsRevoked }],
      ),
    );
    return families;
  }
}

function counter(name: string, help: string, series: SeriesSnapshot[]): FamilySnapshot {
  return { name, help, type: 'counter', aggregation: 'sum', series };
}

function gauge(name: string, help: string, value: number): FamilySnapshot {
  return { name, help, type: 'gauge', aggregation: 'sum', series: [{ labels: '', value }] };
}
