/**
 * The golden signals of the proxy as plain cells (`@nodemesh/kube-runtime/metrics`), rendered only when
 * scraped. A destination Service gets its meters when a snapshot naming it is applied (`prepare`); a caller
 * gets its row in them the first time it calls. From then on a request, a TCP chunk or a UDP datagram adds
 * to numbers it reaches by object identity and array index: no label object, no hashing, no string built.
 *
 * Label values come only from bounded sets: the Services of the snapshot, the pods of this node, a fixed
 * list of methods and five status classes. Names and labels are those prom-client exported before.
 */
import {
  type CounterCell,
  type GaugeCell,
  type HistogramCell,
  MetricsRegistry,
} from '@nodemesh/kube-runtime/metrics';
import type { Snapshot } from '../snapshot/snapshot.js';
import type { Caller } from './caller-resolver.js';

const UNKNOWN = 'unknown';
const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH', 'OTHER'];
const CLASSES = ['1xx', '2xx', '3xx', '4xx', '5xx', UNKNOWN];
const DURATION_BOUNDS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** Source and destination labels shared by every protocol. */
export interface TrafficLabels {
  readonly caller: Caller | undefined;
  readonly destinationNamespace: string;
  readonly destinationService: string;
}

export type Direction = 'received' | 'sent';

/** The meters of one TCP connection, bound once when it is accepted. */
export interface TcpConnectionMeters {
  received(bytes: number): void;
  sent(bytes: number): void;
  /** Idempotent. */
  closed(): void;
}

/** The meters of one UDP session, bound once when it opens. */
export interface UdpSessionMeters {
  received(): void;
  sent(): void;
}

type Families = ReturnType<typeof registerFamilies>;

function registerFamilies(registry: MetricsRegistry) {
  const http = [
    'source_namespace',
    'source_workload',
    'destination_namespace',
    'destination_service',
    'method',
    'status_class',
  ];
  const stream = ['source_namespace', 'source_workload', 'destination_namespace', 'destination_service'];
  const service = ['destination_namespace', 'destination_service'];
  return {
    httpRequests: registry.counter({
      name: 'nodemesh_http_requests_total',
      help: 'HTTP requests proxied, by source workload, destination Service, method and response class.',
      labelNames: http,
    }),
    httpDuration: registry.histogram({
      name: 'nodemesh_http_request_duration_seconds',
      help: 'Time from receiving an HTTP request to the end of its response.',
      labelNames: http,
      bounds: DURATION_BOUNDS,
    }),
    tcpConnections: registry.counter({
      name: 'nodemesh_tcp_connections_total',
      help: 'TCP connections accepted on TCP listeners.',
      labelNames: stream,
    }),
    tcpOpen: registry.gauge({
      name: 'nodemesh_tcp_open_connections',
      help: 'TCP connections open now on TCP listeners.',
      labelNames: stream,
    }),
    tcpBytes: registry.counter({
      name: 'nodemesh_tcp_bytes_total',
      help: 'Bytes proxied on TCP listeners; received from callers, sent back to them.',
      labelNames: [...stream, 'direction'],
    }),
    udpPackets: registry.counter({
      name: 'nodemesh_udp_packets_total',
      help: 'UDP datagrams proxied; received from callers, sent back to them.',
      labelNames: [...stream, 'direction'],
    }),
    denied: registry.counter({
      name: 'nodemesh_denied_total',
      help: 'Requests (HTTP), connections (TCP) and datagrams (UDP) refused by access control, by reason.',
      labelNames: [...stream, 'protocol', 'reason'],
    }),
    rateLimited: registry.counter({
      name: 'nodemesh_rate_limited_total',
      help: 'HTTP requests answered 429 by the rate limit of their destination Service.',
      labelNames: stream,
    }),
    retries: registry.counter({
      name: 'nodemesh_http_retries_total',
      help: 'HTTP attempts after the first; outcome "budget_exhausted" counts retries the budget refused.',
      labelNames: [...service, 'outcome'],
    }),
    proxyErrors: registry.counter({
      name: 'nodemesh_http_proxy_errors_total',
      help: 'HTTP requests the proxy answered itself, by error kind (access_denied, rate_limited, circuit_open, timeout, ...).',
      labelNames: [...service, 'error_kind'],
    }),
    breakerState: registry.gauge({
      name: 'nodemesh_circuit_breaker_state',
      help: 'Circuit breaker of a destination Service: 0 closed, 1 half-open, 2 open.',
      labelNames: service,
      // Each worker has its own breaker: the most open one is the state shown.
      aggregation: 'max',
    }),
    // Hostile callers (issue 13): connection limits, revoked connections, dropped datagrams.
    rejectedConnections: registry.counter({
      name: 'nodemesh_rejected_connections_total',
      help: 'Connections to the data listeners closed at once because a limit was reached (source_limit, total_limit).',
      labelNames: ['source_namespace', 'source_workload', 'protocol', 'reason'],
    }),
    downstreamConnections: registry.gauge({
      name: 'nodemesh_downstream_connections',
      help: 'Connections from callers open now on the data listeners (HTTP entrypoints, TCP listeners).',
      labelNames: ['protocol'],
    }),
    revokedConnections: registry.counter({
      name: 'nodemesh_revoked_connections_total',
      help: 'WebSocket tunnels, TCP connections and UDP sessions ended because a new snapshot no longer admits them (route_gone, endpoint_gone, access_denied).',
      labelNames: [...service, 'protocol', 'reason'],
    }),
    udpDropped: registry.counter({
      name: 'nodemesh_udp_dropped_datagrams_total',
      help: 'UDP datagrams from callers dropped (no_route, no_endpoint, denied, session_limit, source_limit).',
      labelNames: ['source_namespace', 'source_workload', 'reason'],
    }),
    spans: registry.counter({
      name: 'nodemesh_trace_spans_total',
      help: 'Trace spans handed to the OTLP exporter, by result (exported, dropped).',
      labelNames: ['result'],
    }),
    // mTLS between node proxies (docs/mtls.md): the dashboard's "mTLS vs plaintext share" reads this.
    meshCalls: registry.counter({
      name: 'nodemesh_mesh_calls_total',
      help: 'HTTP requests and TCP connections sent to a destination Service, by transport: mtls (through the tunnel to the node proxy of the pod), plaintext (straight to a pod on another node), local (a pod on this node, not on the wire).',
      labelNames: [...service, 'transport'],
    }),
    mtlsFallbacks: registry.counter({
      name: 'nodemesh_mtls_fallbacks_total',
      help: 'Calls in permissive mode sent in plaintext because the tunnel could not be used, by reason (unknown_caller, no_certificate, no_node_proxy, no_tunnel, tunnel_failed).',
      labelNames: [...service, 'reason'],
    }),
    // The snapshot is built by the process that watches the API server; its figures are the ones shown.
    snapshotVersion: registry.gauge({
      name: 'nodemesh_snapshot_version',
      help: 'Version of the routing snapshot in use.',
      aggregation: 'first',
    }),
    snapshotBuild: registry.histogram({
      name: 'nodemesh_snapshot_build_duration_seconds',
      help: 'Time to build a routing snapshot from its inputs.',
      bounds: [0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1],
      aggregation: 'first',
    }),
  };
}

/** One caller's cells towards one destination, each made on first use. */
export class CallerMeters {
  readonly #families: Families;
  readonly #labels: readonly string[];
  /** Counter and histogram per method × status class. */
  readonly #http: ({ requests: CounterCell; duration: HistogramCell } | undefined)[] = [];
  #tcp: { connections: CounterCell; open: GaugeCell; received: CounterCell; sent: CounterCell } | undefined;
  #udp: UdpSessionMeters | undefined;
  #rateLimited: CounterCell | undefined;

  constructor(
    families: Families,
    callerNamespace: string,
    callerWorkload: string,
    destination: ServiceLabels,
  ) {
    this.#families = families;
    this.#labels = [callerNamespace, callerWorkload, destination.namespace, destination.name];
  }

  httpRequest(method: string, status: number, seconds: number): void {
    const m = methodIndex(method);
    const c = classIndex(status);
    const slot = m * CLASSES.length + c;
    let cells = this.#http[slot];
    if (cells === undefined) {
      const values = [...this.#labels, METHODS[m] ?? 'OTHER', CLASSES[c] ?? UNKNOWN];
      cells = {
        requests: this.#families.httpRequests.cell(...values),
        duration: this.#families.httpDuration.cell(...values),
      };
      this.#http[slot] = cells;
    }
    cells.requests.value++;
    cells.duration.observe(seconds);
  }

  tcpConnection(): TcpConnectionMeters {
    const f = this.#families;
    this.#tcp ??= {
      connections: f.tcpConnections.cell(...this.#labels),
      open: f.tcpOpen.cell(...this.#labels),
      received: f.tcpBytes.cell(...this.#labels, 'received'),
      sent: f.tcpBytes.cell(...this.#labels, 'sent'),
    };
    const { connections, open, received, sent } = this.#tcp;
    connections.value++;
    open.value++;
    let closed = false;
    return {
      received: (bytes) => {
        received.value += bytes;
      },
      sent: (bytes) => {
        sent.value += bytes;
      },
      closed: () => {
        if (!closed) open.value--;
        closed = true;
      },
    };
  }

  udpSession(): UdpSessionMeters {
    if (this.#udp === undefined) {
      const received = this.#families.udpPackets.cell(...this.#labels, 'received');
      const sent = this.#families.udpPackets.cell(...this.#labels, 'sent');
      this.#udp = {
        received: () => {
          received.value++;
        },
        sent: () => {
          sent.value++;
        },
      };
    }
    return this.#udp;
  }

  rateLimited(): void {
    this.#rateLimited ??= this.#families.rateLimited.cell(...this.#labels);
    this.#rateLimited.value++;
  }

  /** Rare (a refusal): looked up by label values. */
  denied(protocol: 'http' | 'tcp' | 'udp', reason: string): void {
    this.#families.denied.cell(...this.#labels, protocol, reason).value++;
  }
}

interface ServiceLabels {
  readonly namespace: string;
  readonly name: string;
}

/** The meters of one destination Service: a row per caller, found by the caller object itself. */
export class DestinationMeters {
  readonly namespace: string;
  readonly name: string;
  readonly #families: Families;
  readonly #callers = new WeakMap<Caller, CallerMeters>();
  /** Callers with the same labels share cells, whatever object names them. */
  readonly #byLabels = new Map<string, CallerMeters>();
  readonly #unknown: CallerMeters;

  constructor(families: Families, namespace: string, name: string) {
    this.#families = families;
    this.namespace = namespace;
    this.name = name;
    this.#unknown = new CallerMeters(families, UNKNOWN, UNKNOWN, this);
  }

  caller(caller: Caller | undefined): CallerMeters {
    if (caller === undefined) return this.#unknown;
    let meters = this.#callers.get(caller);
    if (meters === undefined) {
      const key = `${caller.namespace}/${caller.workload}`;
      meters = this.#byLabels.get(key);
      if (meters === undefined) {
        meters = new CallerMeters(this.#families, caller.namespace, caller.workload, this);
        this.#byLabels.set(key, meters);
      }
      this.#callers.set(caller, meters);
    }
    return meters;
  }
}

/** How a call travelled to its destination Service's pod (docs/mtls.md). */
export type MeshTransport = 'mtls' | 'plaintext' | 'local';

/** The `nodemesh_mesh_calls_total` cells of one destination Service, bound once. */
export interface MeshCallMeters {
  readonly mtls: CounterCell;
  readonly plaintext: CounterCell;
  readonly local: CounterCell;
  /** A permissive call sent in plaintext: its cell bound on the reason's first use. */
  fallback(reason: string): void;
}

export class ProxyMetrics {
  readonly registry = new MetricsRegistry();
  readonly #families = registerFamilies(this.registry);
  readonly #destinations = new Map<string, Map<string, DestinationMeters>>();
  readonly #retries = new Map<string, { attempted: CounterCell; budget_exhausted: CounterCell }>();
  #spansSeen = { exported: 0, dropped: 0 };
  readonly #downstream: { http?: GaugeCell; tcp?: GaugeCell } = {};
  readonly #udpDropped = new WeakMap<Caller, Map<string, CounterCell>>();
  readonly #udpDroppedUnknown = new Map<string, CounterCell>();
  /** By the snapshot's ServiceRef object of a backend: a call finds its cells with one WeakMap lookup. */
  readonly #meshCalls = new WeakMap<object, MeshCallMeters>();
  readonly #meshCallsByName = new Map<string, MeshCallMeters>();

  /** The meters of a destination Service, made on first use (`prepare` makes them ahead of traffic). */
  destination(namespace: string, name: string): DestinationMeters {
    let byName = this.#destinations.get(namespace);
    if (byName === undefined) {
      byName = new Map();
      this.#destinations.set(namespace, byName);
    }
    let meters = byName.get(name);
    if (meters === undefined) {
      meters = new DestinationMeters(this.#families, namespace, name);
      byName.set(name, meters);
    }
    return meters;
  }

  /** Makes the meters of every route's Service of a snapshot before its first request. */
  prepare(snapshot: Snapshot): void {
    for (const entrypoint of snapshot.http.values()) {
      for (const route of entrypoint.hosts.values())
        this.destination(route.service.namespace, route.service.name);
    }
    for (const route of snapshot.tcp.values()) this.destination(route.service.namespace, route.service.name);
    for (const route of snapshot.udp.values()) this.destination(route.service.namespace, route.service.name);
  }

  #of(labels: TrafficLabels): CallerMeters {
    return this.destination(labels.destinationNamespace, labels.destinationService).caller(labels.caller);
  }

  httpRequest(labels: TrafficLabels, method: string, status: number, seconds: number): void {
    this.#of(labels).httpRequest(method, status, seconds);
  }

  /**
   * Counts a new TCP connection and returns its meters, bound to its cells once: bytes are counted as they
   * flow (a long-lived connection shows up before it ends), `closed` once at the end.
   */
  tcpConnection(labels: TrafficLabels): TcpConnectionMeters {
    return this.#of(labels).tcpConnection();
  }

  /** The meters of a UDP session: each datagram adds one, with no lookup. */
  udpSession(labels: TrafficLabels): UdpSessionMeters {
    return this.#of(labels).udpSession();
  }

  denied(labels: TrafficLabels, protocol: 'http' | 'tcp' | 'udp', reason: string): void {
    this.#of(labels).denied(protocol, reason);
  }

  rateLimited(labels: TrafficLabels): void {
    this.#of(labels).rateLimited();
  }

  /** The transport cells of a destination Service (`service` is the snapshot's object: it is the cache key). */
  meshCalls(service: { readonly namespace: string; readonly name: string }): MeshCallMeters {
    let meters = this.#meshCalls.get(service);
    if (meters === undefined) {
      const key = `${service.namespace}/${service.name}`;
      meters = this.#meshCallsByName.get(key);
      if (meters === undefined) {
        const { namespace, name } = service;
        const f = this.#families;
        // Without workload identity every call to another node is a fallback: a per-call path.
        const fallbacks = new Map<string, CounterCell>();
        meters = {
          mtls: f.meshCalls.cell(namespace, name, 'mtls'),
          plaintext: f.meshCalls.cell(namespace, name, 'plaintext'),
          local: f.meshCalls.cell(namespace, name, 'local'),
          fallback: (reason) => {
            let cell = fallbacks.get(reason);
            if (cell === undefined) {
              cell = f.mtlsFallbacks.cell(namespace, name, reason);
              fallbacks.set(reason, cell);
            }
            cell.value++;
          },
        };
        this.#meshCallsByName.set(key, meters);
      }
      this.#meshCalls.set(service, meters);
    }
    return meters;
  }

  /** `serviceKey` is `<namespace>/<name>` of the backend Service retried. */
  retry(serviceKey: string, outcome: 'attempted' | 'budget_exhausted'): void {
    let cells = this.#retries.get(serviceKey);
    if (cells === undefined) {
      const [namespace, name] = splitKey(serviceKey);
      cells = {
        attempted: this.#families.retries.cell(namespace, name, 'attempted'),
        budget_exhausted: this.#families.retries.cell(namespace, name, 'budget_exhausted'),
      };
      this.#retries.set(serviceKey, cells);
    }
    cells[outcome].value++;
  }

  /** A request the proxy answered itself; `code` is its `NM_*` code, reduced to a kind label. */
  proxyError(labels: TrafficLabels, code: string): void {
    this.#families.proxyErrors
      .cell(labels.destinationNamespace, labels.destinationService, errorKind(code))
      .inc();
  }

  /** Undefined state: the breaker is gone (its series is removed). */
  breakerState(serviceKey: string, state: 'closed' | 'half_open' | 'open' | undefined): void {
    const [namespace, name] = splitKey(serviceKey);
    if (state === undefined) this.#families.breakerState.remove(namespace, name);
    else
      this.#families.breakerState
        .cell(namespace, name)
        .set(state === 'closed' ? 0 : state === 'half_open' ? 1 : 2);
  }

  /** A connection refused at once by a connection limit (rare: looked up by label values). */
  connectionRejected(caller: Caller | undefined, protocol: 'http' | 'tcp', reason: string): void {
    this.#families.rejectedConnections
      .cell(caller?.namespace ?? UNKNOWN, caller?.workload ?? UNKNOWN, protocol, reason)
      .inc();
  }

  /** A caller's connection opened (+1) or closed (-1) on a data listener. */
  downstreamConnection(protocol: 'http' | 'tcp', change: 1 | -1): void {
    const cells = this.#downstream;
    const cell = protocol === 'http' ? cells.http : cells.tcp;
    if (cell === undefined) {
      const made = this.#families.downstreamConnections.cell(protocol);
      cells[protocol] = made;
      made.inc(change);
    } else cell.inc(change);
  }

  /** A tunnel or TCP connection closed because a new snapshot no longer admits it (rare). */
  connectionRevoked(labels: TrafficLabels, protocol: 'websocket' | 'tcp' | 'udp', reason: string): void {
    this.#families.revokedConnections
      .cell(labels.destinationNamespace, labels.destinationService, protocol, reason)
      .inc();
  }

  /**
   * A UDP datagram from a caller that went nowhere. A flood is counted here datagram by datagram, so the
   * cells are found by the caller object and the reason, not by label values.
   */
  udpDropped(caller: Caller | undefined, reason: string): void {
    let byReason = this.#udpDroppedUnknown;
    if (caller !== undefined) {
      const known = this.#udpDropped.get(caller);
      if (known === undefined) {
        byReason = new Map();
        this.#udpDropped.set(caller, byReason);
      } else byReason = known;
    }
    let cell = byReason.get(reason);
    if (cell === undefined) {
      cell = this.#families.udpDropped.cell(
        caller?.namespace ?? UNKNOWN,
        caller?.workload ?? UNKNOWN,
        reason,
      );
      byReason.set(reason, cell);
    }
    cell.value++;
  }

  /** Totals from the exporter, turned into counter increments. */
  spanTotals(exported: number, dropped: number): void {
    const seen = this.#spansSeen;
    if (exported > seen.exported) this.#families.spans.cell('exported').inc(exported - seen.exported);
    if (dropped > seen.dropped) this.#families.spans.cell('dropped').inc(dropped - seen.dropped);
    this.#spansSeen = { exported, dropped };
  }

  snapshotApplied(version: number, buildSeconds: number | undefined): void {
    this.#families.snapshotVersion.cell().set(version);
    if (buildSeconds !== undefined) this.#families.snapshotBuild.cell().observe(buildSeconds);
  }
}

function methodIndex(method: string): number {
  switch (method) {
    case 'GET':
      return 0;
    case 'HEAD':
      return 1;
    case 'POST':
      return 2;
    case 'PUT':
      return 3;
    case 'DELETE':
      return 4;
    case 'CONNECT':
      return 5;
    case 'OPTIONS':
      return 6;
    case 'TRACE':
      return 7;
    case 'PATCH':
      return 8;
    default:
      return 9;
  }
}

function classIndex(status: number): number {
  return status >= 100 && status < 600 ? Math.floor(status / 100) - 1 : 5;
}

/** `2xx`…`5xx`; anything else (0 when no response was sent) is `unknown`. */
export function statusClass(status: number): string {
  return CLASSES[classIndex(status)] ?? UNKNOWN;
}

/** `NM_CIRCUIT_OPEN` → `circuit_open`. */
export function errorKind(code: string): string {
  return code.startsWith('NM_') ? code.slice(3).toLowerCase() : 'other';
}

function splitKey(serviceKey: string): [string, string] {
  const slash = serviceKey.indexOf('/');
  return [serviceKey.slice(0, slash), serviceKey.slice(slash + 1)];
}
