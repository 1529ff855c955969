/**
 * The golden signals of the proxy, on a Registry of its own. Label values come only from bounded sets: the
 * Services of the snapshot, the pods of this node, a fixed list of methods and five status classes.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Caller } from './caller-resolver.js';

const KNOWN_METHODS = new Set([
  'GET',
  'HEAD',
  'POST',
  'PUT',
  'DELETE',
  'CONNECT',
  'OPTIONS',
  'TRACE',
  'PATCH',
]);
const UNKNOWN = 'unknown';

/** Source and destination labels shared by every protocol. */
export interface TrafficLabels {
  readonly caller: Caller | undefined;
  readonly destinationNamespace: string;
  readonly destinationService: string;
}

export type Direction = 'received' | 'sent';

/** The meters of one TCP connection. */
export interface TcpConnectionMeters {
  received(bytes: number): void;
  sent(bytes: number): void;
  /** Idempotent. */
  closed(): void;
}

const httpLabels = [
  'source_namespace',
  'source_workload',
  'destination_namespace',
  'destination_service',
  'method',
  'status_class',
] as const;
const streamLabels = [
  'source_namespace',
  'source_workload',
  'destination_namespace',
  'destination_service',
] as const;

export class ProxyMetrics {
  readonly registry = new Registry();
  readonly #httpRequests = new Counter({
    name: 'nodemesh_http_requests_total',
    help: 'HTTP requests proxied, by source workload, destination Service, method and response class.',
    labelNames: httpLabels,
    registers: [this.registry],
  });
  readonly #httpDuration = new Histogram({
    name: 'nodemesh_http_request_duration_seconds',
    help: 'Time from receiving an HTTP request to the end of its response.',
    labelNames: httpLabels,
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  readonly #tcpConnections = new Counter({
    name: 'nodemesh_tcp_connections_total',
    help: 'TCP connections accepted on TCP listeners.',
    labelNames: streamLabels,
    registers: [this.registry],
  });
  readonly #tcpOpen = new Gauge({
    name: 'nodemesh_tcp_open_connections',
    help: 'TCP connections open now on TCP listeners.',
    labelNames: streamLabels,
    registers: [this.registry],
  });
  readonly #tcpBytes = new Counter({
    name: 'nodemesh_tcp_bytes_total',
    help: 'Bytes proxied on TCP listeners; received from callers, sent back to them.',
    labelNames: [...streamLabels, 'direction'],
    registers: [this.registry],
  });
  readonly #udpPackets = new Counter({
    name: 'nodemesh_udp_packets_total',
    help: 'UDP datagrams proxied; received from callers, sent back to them.',
    labelNames: [...streamLabels, 'direction'],
    registers: [this.registry],
  });
  readonly #denied = new Counter({
    name: 'nodemesh_denied_total',
    help: 'Requests (HTTP), connections (TCP) and datagrams (UDP) refused by access control, by reason.',
    labelNames: [...streamLabels, 'protocol', 'reason'],
    registers: [this.registry],
  });
  readonly #rateLimited = new Counter({
    name: 'nodemesh_rate_limited_total',
    help: 'HTTP requests answered 429 by the rate limit of their destination Service.',
    labelNames: streamLabels,
    registers: [this.registry],
  });
  readonly #retries = new Counter({
    name: 'nodemesh_http_retries_total',
    help: 'HTTP attempts after the first; outcome "budget_exhausted" counts retries the budget refused.',
    labelNames: ['destination_namespace', 'destination_service', 'outcome'],
    registers: [this.registry],
  });
  readonly #proxyErrors = new Counter({
    name: 'nodemesh_http_proxy_errors_total',
    help: 'HTTP requests the proxy answered itself, by error kind (access_denied, rate_limited, circuit_open, timeout, ...).',
    labelNames: ['destination_namespace', 'destination_service', 'error_kind'],
    registers: [this.registry],
  });
  readonly #breakerState = new Gauge({
    name: 'nodemesh_circuit_breaker_state',
    help: 'Circuit breaker of a destination Service: 0 closed, 1 half-open, 2 open.',
    labelNames: ['destination_namespace', 'destination_service'],
    registers: [this.registry],
  });
  // Hostile callers (issue 13): connection limits, revoked connections, dropped datagrams.
  readonly #rejectedConnections = new Counter({
    name: 'nodemesh_rejected_connections_total',
    help: 'Connections to the data listeners closed at once because a limit was reached (source_limit, total_limit).',
    labelNames: ['source_namespace', 'source_workload', 'protocol', 'reason'],
    registers: [this.registry],
  });
  readonly #downstreamConnections = new Gauge({
    name: 'nodemesh_downstream_connections',
    help: 'Connections from callers open now on the data listeners (HTTP entrypoints, TCP listeners).',
    labelNames: ['protocol'],
    registers: [this.registry],
  });
  readonly #revokedConnections = new Counter({
    name: 'nodemesh_revoked_connections_total',
    help: 'WebSocket tunnels and TCP connections closed because a new snapshot no longer admits them (route_gone, endpoint_gone, access_denied).',
    labelNames: ['destination_namespace', 'destination_service', 'protocol', 'reason'],
    registers: [this.registry],
  });
  readonly #udpDropped = new Counter({
    name: 'nodemesh_udp_dropped_datagrams_total',
    help: 'UDP datagrams from callers dropped (no_route, no_endpoint, denied, session_limit, source_limit).',
    labelNames: ['source_namespace', 'source_workload', 'reason'],
    registers: [this.registry],
  });
  readonly #spans = new Counter({
    name: 'nodemesh_trace_spans_total',
    help: 'Trace spans handed to the OTLP exporter, by result (exported, dropped).',
    labelNames: ['result'],
    registers: [this.registry],
  });
  #spansSeen = { exported: 0, dropped: 0 };
  readonly #snapshotVersion = new Gauge({
    name: 'nodemesh_snapshot_version',
    help: 'Version of the routing snapshot in use.',
    registers: [this.registry],
  });
  readonly #snapshotBuild = new Histogram({
    name: 'nodemesh_snapshot_build_duration_seconds',
    help: 'Time to build a routing snapshot from its inputs.',
    buckets: [0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1],
    registers: [this.registry],
  });

  httpRequest(labels: TrafficLabels, method: string, status: number, seconds: number): void {
    // One object per request, written out rather than spread from streamValues (this runs on every request).
    const values = {
      source_namespace: labels.caller?.namespace ?? UNKNOWN,
      source_workload: labels.caller?.workload ?? UNKNOWN,
      destination_namespace: labels.destinationNamespace,
      destination_service: labels.destinationService,
      method: KNOWN_METHODS.has(method) ? method : 'OTHER',
      status_class: statusClass(status),
    };
    this.#httpRequests.inc(values);
    this.#httpDuration.observe(values, seconds);
  }

  /**
   * Counts a new TCP connection and returns its meters, bound to its labels once: bytes are counted as they
   * flow (a long-lived connection shows up before it ends), `closed` once at the end.
   */
  tcpConnection(labels: TrafficLabels): TcpConnectionMeters {
    const values = streamValues(labels);
    this.#tcpConnections.inc(values);
    this.#tcpOpen.inc(values);
    const received = this.#tcpBytes.labels({ ...values, direction: 'received' });
    const sent = this.#tcpBytes.labels({ ...values, direction: 'sent' });
    let open = true;
    return {
      received: (bytes) => received.inc(bytes),
      sent: (bytes) => sent.inc(bytes),
      closed: () => {
        if (open) this.#tcpOpen.dec(values);
        open = false;
      },
    };
  }

  udpPacket(labels: TrafficLabels, direction: Direction): void {
    this.#udpPackets.inc({ ...streamValues(labels), direction });
  }

  denied(labels: TrafficLabels, protocol: 'http' | 'tcp' | 'udp', reason: string): void {
    this.#denied.inc({ ...streamValues(labels), protocol, reason });
  }

  rateLimited(labels: TrafficLabels): void {
    this.#rateLimited.inc(streamValues(labels));
  }

  /** `serviceKey` is `<namespace>/<name>` of the backend Service retried. */
  retry(serviceKey: string, outcome: 'attempted' | 'budget_exhausted'): void {
    this.#retries.inc({ ...serviceValues(serviceKey), outcome });
  }

  /** A request the proxy answered itself; `code` is its `NM_*` code, reduced to a kind label. */
  proxyError(labels: TrafficLabels, code: string): void {
    this.#proxyErrors.inc({
      destination_namespace: labels.destinationNamespace,
      destination_service: labels.destinationService,
      error_kind: errorKind(code),
    });
  }

  /** Undefined state: the breaker is gone (its series is removed). */
  breakerState(serviceKey: string, state: 'closed' | 'half_open' | 'open' | undefined): void {
    const values = serviceValues(serviceKey);
    if (state === undefined) this.#breakerState.remove(values);
    else this.#breakerState.set(values, state === 'closed' ? 0 : state === 'half_open' ? 1 : 2);
  }

  /** A connection refused at once by a connection limit. */
  connectionRejected(caller: Caller | undefined, protocol: 'http' | 'tcp', reason: string): void {
    this.#rejectedConnections.inc({ ...sourceValues(caller), protocol, reason });
  }

  /** A caller's connection opened (+1) or closed (-1) on a data listener. */
  downstreamConnection(protocol: 'http' | 'tcp', change: 1 | -1): void {
    this.#downstreamConnections.inc({ protocol }, change);
  }

  /** A tunnel or TCP connection closed because a new snapshot no longer admits it. */
  connectionRevoked(labels: TrafficLabels, protocol: 'websocket' | 'tcp', reason: string): void {
    this.#revokedConnections.inc({
      destination_namespace: labels.destinationNamespace,
      destination_service: labels.destinationService,
      protocol,
      reason,
    });
  }

  /** A UDP datagram from a caller that went nowhere. */
  udpDropped(caller: Caller | undefined, reason: string): void {
    this.#udpDropped.inc({ ...sourceValues(caller), reason });
  }

  /** Totals from the exporter, turned into counter increments. */
  spanTotals(exported: number, dropped: number): void {
    const seen = this.#spansSeen;
    if (exported > seen.exported) this.#spans.inc({ result: 'exported' }, exported - seen.exported);
    if (dropped > seen.dropped) this.#spans.inc({ result: 'dropped' }, dropped - seen.dropped);
    this.#spansSeen = { exported, dropped };
  }

  snapshotApplied(version: number, buildSeconds: number | undefined): void {
    this.#snapshotVersion.set(version);
    if (buildSeconds !== undefined) this.#snapshotBuild.observe(buildSeconds);
  }
}

/** `2xx`…`5xx`; anything else (0 when no response was sent) is `unknown`. */
export function statusClass(status: number): string {
  return status >= 100 && status < 600 ? `${Math.floor(status / 100)}xx` : UNKNOWN;
}

/** `NM_CIRCUIT_OPEN` → `circuit_open`. */
export function errorKind(code: string): string {
  return code.startsWith('NM_') ? code.slice(3).toLowerCase() : 'other';
}

function serviceValues(serviceKey: string) {
  const slash = serviceKey.indexOf('/');
  return {
    destination_namespace: serviceKey.slice(0, slash),
    destination_service: serviceKey.slice(slash + 1),
  };
}

function sourceValues(caller: Caller | undefined) {
  return { source_namespace: caller?.namespace ?? UNKNOWN, source_workload: caller?.workload ?? UNKNOWN };
}

function streamValues(labels: TrafficLabels) {
  return {
    source_namespace: labels.caller?.namespace ?? UNKNOWN,
    source_workload: labels.caller?.workload ?? UNKNOWN,
    destination_namespace: labels.destinationNamespace,
    destination_service: labels.destinationService,
  };
}
