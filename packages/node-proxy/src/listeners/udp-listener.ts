/**
 * A UDP listener: each client address gets a session, a socket of its own towards one endpoint, so replies
 * find their way back. Sessions end after an idle time; their number is bounded in total and per source
 * address (one pod sending from thousands of ports cannot lock the others out), and a datagram that would
 * open one more is dropped. With access control on, a datagram no TrafficTarget allows is dropped. A session
 * is checked again under each new snapshot, as a TCP connection is (admission.ts): one whose route, endpoint
 * or TrafficTarget is gone ends, counted in `nodemesh_revoked_connections_total{protocol="udp"}`, and the
 * client's next datagram opens a new session (so a client that keeps its source port moves off a pod that
 * went not ready, as kube-proxy's conntrack clean-up does). Every dropped datagram is counted in
 * `nodemesh_udp_dropped_datagrams_total{reason}`.
 */
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import { chooseBackend } from '../balancer/choose-target.js';
import { normaliseIp } from '../metrics/caller-resolver.js';
import type { TrafficLabels, UdpSessionMeters } from '../metrics/proxy-metrics.js';
import { checkAccess } from '../policy/access-policy.js';
import type { Endpoint, Snapshot } from '../snapshot/snapshot.js';
import { objectKey } from '../topology/inputs.js';
import { portSharing } from '../workers/port-sharing.js';
import { type Admission, readmit } from './admission.js';
import type { Listener, RoutingContext } from './listener.js';

export interface UdpListenerOptions {
  readonly sessionIdleMs: number;
  readonly maxSessions: number;
  /** Sessions one source address (a pod) may hold at once; a quarter of the table by default. */
  readonly maxSessionsPerSource: number;
}

export const DEFAULT_UDP_OPTIONS: UdpListenerOptions = {
  sessionIdleMs: 30_000,
  maxSessions: 4096,
  maxSessionsPerSource: 1024,
};

/** Why a datagram went nowhere. */
export type UdpDropReason = 'no_route' | 'no_endpoint' | 'denied' | 'session_limit' | 'source_limit';

interface Session {
  /** The snapshot the session was last checked under; a newer one checks it again (admission.ts). */
  snapshot: Snapshot;
  /** What admitted it: route, backend Service, endpoint, caller, access policy. */
  admission: Admission;
  /** The client's address (its source), for the per-source count. */
  readonly source: string;
  readonly upstream: Socket;
  readonly endpoint: Endpoint;
  readonly labels: TrafficLabels;
  readonly meters: UdpSessionMeters;
  timer: NodeJS.Timeout;
}

export class UdpListener implements Listener {
  readonly kind = 'udp';
  readonly logicalPort: number;
  readonly #ctx: RoutingContext;
  readonly #options: UdpListenerOptions;
  readonly #sessions = new Map<string, Session>();
  /** Open sessions per source address. */
  readonly #perSource = new Map<string, number>();
  #socket: Socket | undefined;
  /** Datagrams dropped, for any reason (also counted by reason in the metrics). */
  dropped = 0;

  constructor(logicalPort: number, ctx: RoutingContext, options = DEFAULT_UDP_OPTIONS) {
    this.logicalPort = logicalPort;
    this.#ctx = ctx;
    this.#options = options;
  }

  listen(host: string, port: number): Promise<void> {
    const socket = createSocket({ type: isIPv6(host) ? 'udp6' : 'udp4', ...portSharing() });
    this.#socket = socket;
    socket.on('message', (data, from) => this.#receive(data, from));
    return new Promise((resolve, reject) => {
      socket.once('error', reject);
      socket.bind({ address: host, port }, () => {
        socket.off('error', reject);
        socket.on('error', () => undefined);
        resolve();
      });
    });
  }

  boundPort(): number | undefined {
    return this.#socket?.address().port;
  }

  get sessionCount(): number {
    return this.#sessions.size;
  }

  async close(): Promise<void> {
    for (const key of [...this.#sessions.keys()]) this.#end(key);
    const socket = this.#socket;
    this.#socket = undefined;
    if (socket !== undefined) await new Promise<void>((resolve) => socket.close(() => resolve()));
  }

  #receive(data: Buffer, from: RemoteInfo): void {
    const key = `${from.address} ${from.port}`;
    let session = this.#sessions.get(key);
    if (session === undefined) {
      const opened = this.#open(key, from);
      if (typeof opened === 'string') {
        this.#drop(from.address, opened);
        return;
      }
      session = opened;
    } else if (session.snapshot !== this.#ctx.snapshot() && !this.#readmit(session, this.#ctx.snapshot())) {
      // No longer admitted: this datagram is the first of a new session, checked and routed afresh.
      this.#end(key);
      const opened = this.#open(key, from);
      if (typeof opened === 'string') {
        this.#drop(from.address, opened);
        return;
      }
      session = opened;
    } else {
      session.timer.refresh();
    }
    session.meters.received();
    session.upstream.send(data, session.endpoint.port, session.endpoint.address);
  }

  #drop(address: string, reason: UdpDropReason): void {
    this.dropped++;
    this.#ctx.metrics.udpDropped(this.#ctx.callers.resolve(normaliseIp(address)), reason);
  }

  /** A new session for the client `from`, or why there is none. */
  #open(key: string, from: RemoteInfo): Session | UdpDropReason {
    if (this.#sessions.size >= this.#options.maxSessions) return 'session_limit';
    const source = from.address;
    const fromSource = this.#perSource.get(source) ?? 0;
    if (fromSource >= this.#options.maxSessionsPerSource) return 'source_limit';
    const snapshot = this.#ctx.snapshot();
    const route = snapshot.udp.get(this.logicalPort);
    const backend = route === undefined ? undefined : chooseBackend(route, this.#ctx.random);
    if (route === undefined || backend === undefined) return 'no_route';
    const labels = {
      caller: this.#ctx.callers.resolve(normaliseIp(from.address)),
      destinationNamespace: route.service.namespace,
      destinationService: route.service.name,
    };
    const serviceKey = objectKey(backend.service.namespace, backend.service.name);
    if (!this.#admitted(snapshot, serviceKey, route.port, labels)) return 'denied';
    const endpoint = this.#ctx.balancer.pick(backend.endpoints);
    if (endpoint === undefined) return 'no_endpoint';
    const meters = this.#ctx.metrics.udpSession(labels);
    const upstream = createSocket(isIPv6(endpoint.address) ? 'udp6' : 'udp4');
    upstream.on('error', () => this.#end(key));
    upstream.on('message', (reply, replyFrom) => {
      if (replyFrom.address !== endpoint.address || replyFrom.port !== endpoint.port) return;
      const current = this.#sessions.get(key);
      current?.timer.refresh();
      meters.sent();
      this.#socket?.send(reply, from.port, from.address);
    });
    const timer = setTimeout(() => this.#end(key), this.#options.sessionIdleMs);
    const admission: Admission = {
      protocol: 'udp',
      listenerPort: this.logicalPort,
      backend: backend.service,
      endpointKey: endpoint.key,
      caller: labels.caller,
      route,
      access: snapshot.access,
    };
    const session: Session = {
      snapshot,
      admission,
      source,
      upstream,
      endpoint,
      labels,
      meters,
      timer,
    };
    this.#sessions.set(key, session);
    this.#perSource.set(source, fromSource + 1);
    return session;
  }

  /** Access control for a datagram that opens a session; a denied one is counted and dropped. */
  #admitted(snapshot: Snapshot, serviceKey: string, port: number, labels: TrafficLabels): boolean {
    if (!this.#ctx.policy.accessControl) return true;
    const decision = checkAccess(snapshot.access, {
      serviceKey,
      port,
      protocol: 'udp',
      caller: labels.caller,
    });
    if (!decision.allowed) this.#ctx.metrics.denied(labels, 'udp', decision.reason);
    return decision.allowed;
  }

  /** Ends the sessions `snapshot` no longer admits (their upstream sockets and endpoint counts go with them). */
  revalidate(snapshot: Snapshot): void {
    for (const [key, session] of this.#sessions) {
      if (session.snapshot !== snapshot && !this.#readmit(session, snapshot)) this.#end(key);
    }
  }

  /** Whether `session` is still admitted under `snapshot`; a revoked one is counted (the caller ends it). */
  #readmit(session: Session, snapshot: Snapshot): boolean {
    const result = readmit(snapshot, this.#ctx.policy.accessControl, session.admission);
    if (!result.admitted) {
      this.#ctx.metrics.connectionRevoked(session.labels, 'udp', result.reason);
      return false;
    }
    session.snapshot = snapshot;
    if (result.route !== session.admission.route || result.access !== session.admission.access) {
      session.admission = { ...session.admission, route: result.route, access: result.access };
    }
    return true;
  }

  #end(key: string): void {
    const session = this.#sessions.get(key);
    if (session === undefined) return;
    this.#sessions.delete(key);
    const fromSource = this.#perSource.get(session.source) ?? 1;
    if (fromSource <= 1) this.#perSource.delete(session.source);
    else this.#perSource.set(session.source, fromSource - 1);
    clearTimeout(session.timer);
    this.#ctx.balancer.release(session.endpoint);
    try {
      session.upstream.close();
    } catch {
      // already closed
    }
  }
}
