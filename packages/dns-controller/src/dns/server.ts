/**
 * The I/O shell of the mesh DNS server: UDP and TCP on one port, bytes handed to the pure `respond`.
 * dns2's UDP and TCP servers are not used (README, "Why not dns2's server"): its TCP server answers one
 * query per connection and has no idle timeout, and both parse with a decoder that can spin forever.
 */
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer, isIPv6, type Server as TcpServer, type Socket as TcpSocket } from 'node:net';
import { MetricsRegistry } from '@nodemesh/kube-runtime/metrics';
import { type ResolverOptions, resolverDefaults } from './answer.js';
import { createDnsMetrics, type DnsMetrics } from './metrics.js';
import { QueryHead } from './query-head.js';
import { type Outcome, respond, type Transport } from './respond.js';
import { DEFAULT_TCP_CONNECTION_LIMITS, TcpConnectionTable } from './tcp-connections.js';
import { createDnsTcpMetrics, type DnsTcpMetrics } from './tcp-metrics.js';
import { WireAnswers } from './wire-answers.js';
import type { MeshZone } from './zone.js';

export interface MeshDnsServerOptions {
  readonly zone: MeshZone;
  /** Address to listen on; default `127.0.0.1`. */
  readonly host?: string;
  /** Port for both UDP and TCP; 0 (the default) picks a free one. */
  readonly port?: number;
  /** Overrides of the resolver defaults (TTL, NS name, advertised UDP payload size). */
  readonly resolver?: Partial<ResolverOptions>;
  /** Where the metrics go (rendered by the admin server); a private registry if omitted. */
  readonly registry?: MetricsRegistry;
  /** A TCP connection idle, or stuck inside a frame, this long is closed; default 5000 ms. */
  readonly tcpTimeoutMs?: number;
  /** Largest TCP query frame accepted; default 4096 bytes (queries are small). */
  readonly maxTcpFrame?: number;
  /**
   * Open TCP connections in all (default 256) and from one client address (default 16). At the total, a new
   * client takes the place of the idlest connection of the client holding the most (`tcp-connections.ts`).
   */
  readonly maxTcpConnections?: number;
  readonly maxTcpConnectionsPerClient?: number;
  /** Called for socket errors that do not stop the server. */
  readonly onError?: (message: string) => void;
}

export interface ListeningAddress {
  readonly host: string;
  readonly port: number;
}

const PORT_ATTEMPTS = 20;

/**
 * The UDP socket's "lookup" of where a reply goes. Replies only go to the address a query came from, which
 * the kernel gave as a numeric address: `dns.lookup` would parse it again and call back on the next tick
 * (one more pass through the tick queue per datagram); this hands it back as it is, at once.
 */
function peerAddress(family: 4 | 6) {
  return (
    address: string,
    _options: unknown,
    callback: (error: null, address: string, family: number) => void,
  ) => callback(null, address, family);
}

export class MeshDnsServer {
  readonly metrics: DnsMetrics;
  private readonly resolver: ResolverOptions;
  /** The zone's answers as bytes, kept while the server runs. */
  private answers: WireAnswers | undefined;
  private readonly head = new QueryHead();
  private udp: UdpSocket | undefined;
  private tcp: TcpServer | undefined;
  readonly tcpMetrics: DnsTcpMetrics;
  private readonly connections = new Set<TcpSocket>();
  private readonly tcpTable: TcpConnectionTable<TcpSocket>;
  private listening: ListeningAddress | undefined;

  constructor(private readonly options: MeshDnsServerOptions) {
    const registry = options.registry ?? new MetricsRegistry();
    this.metrics = createDnsMetrics(registry);
    this.tcpMetrics = createDnsTcpMetrics(registry);
    this.tcpTable = new TcpConnectionTable({
      total: options.maxTcpConnections ?? DEFAULT_TCP_CONNECTION_LIMITS.total,
      perClient: options.maxTcpConnectionsPerClient ?? DEFAULT_TCP_CONNECTION_LIMITS.perClient,
    });
    this.resolver = { ...resolverDefaults(options.zone.domain), ...options.resolver };
  }

  /** Where the server listens, once started. */
  get address(): ListeningAddress | undefined {
    return this.listening;
  }

  /** Binds UDP first (to learn the port when asked for 0), then TCP on the same port. */
  async start(): Promise<ListeningAddress> {
    if (this.listening !== undefined) return this.listening;
    const host = this.options.host ?? '127.0.0.1';
    const wanted = this.options.port ?? 0;
    for (let attempt = 1; ; attempt++) {
      const udp = await this.bindUdp(host, wanted);
      const port = udp.address().port;
      try {
        this.tcp = await this.listenTcp(host, port);
        this.udp = udp;
        this.answers ??= new WireAnswers(this.options.zone, this.resolver);
        this.listening = { host, port };
        return this.listening;
      } catch (error) {
        udp.close();
        // With port 0 another process may hold TCP on the port UDP got: try another one.
        if (wanted !== 0 || attempt >= PORT_ATTEMPTS) throw error;
      }
    }
  }

  /** Closes both sockets and every open TCP connection. */
  async stop(): Promise<void> {
    const { udp, tcp } = this;
    this.udp = undefined;
    this.tcp = undefined;
    this.listening = undefined;
    this.answers?.close();
    this.answers = undefined;
    for (const connection of this.connections) connection.destroy();
    this.connections.clear();
    this.tcpMetrics.open.set(0);
    await Promise.all([
      udp === undefined ? undefined : new Promise<void>((done) => udp.close(() => done())),
      tcp === undefined ? undefined : new Promise<void>((done) => tcp.close(() => done())),
    ]);
  }

  private bindUdp(host: string, port: number): Promise<UdpSocket> {
    return new Promise((resolve, reject) => {
      const family = isIPv6(host) ? 6 : 4;
      const socket = createSocket({ type: family === 6 ? 'udp6' : 'udp4', lookup: peerAddress(family) });
      socket.once('error', reject);
      socket.bind(port, host, () => {
        socket.off('error', reject);
        socket.on('error', (error) => this.report(`udp socket: ${error.message}`));
        socket.on('message', (packet, peer) => {
          const started = performance.now();
          const reply = this.fromStore(packet, 'udp', started) ?? this.handle(packet, 'udp', started).reply;
          // A failed send comes back as an 'error' event on the socket (reported above).
          if (reply !== undefined) socket.send(reply, peer.port, peer.address);
        });
        resolve(socket);
      });
    });
  }

  private listenTcp(host: string, port: number): Promise<TcpServer> {
    return new Promise((resolve, reject) => {
      const server = createServer((socket) => {
        if (this.admitTcp(socket)) this.serveTcp(socket);
      });
      server.once('error', reject);
      server.listen({ host, port, exclusive: true }, () => {
        server.off('error', reject);
        server.on('error', (error) => this.report(`tcp server: ${error.message}`));
        resolve(server);
      });
    });
  }

  /** Takes the connection into the table, closing it (or the connection it displaces) as the table says. */
  private admitTcp(socket: TcpSocket): boolean {
    const admission = this.tcpTable.admit(socket.remoteAddress ?? '', socket, performance.now());
    if (!admission.admitted) {
      this.tcpMetrics.refused.inc({ reason: admission.reason });
      socket.destroy();
      return false;
    }
    if (admission.evicted !== undefined) {
      this.tcpMetrics.evicted.inc();
      admission.evicted.destroy();
    }
    return true;
  }

  /** Reads length-prefixed queries (RFC 7766), answers each in order, closes on garbage or silence. */
  private serveTcp(socket: TcpSocket): void {
    this.connections.add(socket);
    this.tcpMetrics.open.set(this.connections.size);
    const timeoutMs = this.options.tcpTimeoutMs ?? 5000;
    const maxFrame = this.options.maxTcpFrame ?? 4096;
    let pending = Buffer.alloc(0);
    let frameDeadline: NodeJS.Timeout | undefined;
    const clearDeadline = (): void => {
      if (frameDeadline !== undefined) clearTimeout(frameDeadline);
      frameDeadline = undefined;
    };
    const drop = (): void => {
      clearDeadline();
      socket.destroy();
    };
    socket.setTimeout(timeoutMs, drop);
    socket.on('error', () => drop());
    socket.on('close', () => {
      clearDeadline();
      this.connections.delete(socket);
      this.tcpTable.release(socket);
      this.tcpMetrics.open.set(this.connections.size);
    });
    let ending = false;
    // A client that sends faster than it reads stops being read until its answers drain.
    socket.on('drain', () => socket.resume());
    socket.on('data', (chunk) => {
      if (ending) return;
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      while (pending.length >= 2) {
        const length = pending.readUInt16BE(0);
        if (length < 12 || length > maxFrame) {
          this.metrics.malformed.inc({ transport: 'tcp' });
          drop();
          return;
        }
        if (pending.length < 2 + length) break;
        const packet = pending.subarray(2, 2 + length);
        pending = pending.subarray(2 + length);
        const started = performance.now();
        this.tcpTable.touch(socket, started);
        const stored = this.fromStore(packet, 'tcp', started);
        if (stored !== undefined) {
          if (!socket.write(stored)) socket.pause();
          continue;
        }
        const outcome = this.handle(packet, 'tcp', started);
        if (outcome.reply === undefined) {
          drop();
          return;
        }
        const frame = Buffer.alloc(2 + outcome.reply.length);
        frame.writeUInt16BE(outcome.reply.length);
        outcome.reply.copy(frame, 2);
        if (outcome.malformed) {
          // The stream can no longer be trusted to be framed right: answer, then hang up.
          clearDeadline();
          ending = true;
          socket.end(frame);
          return;
        }
        if (!socket.write(frame)) socket.pause();
      }
      // A client stuck half-way through a frame is cut off even if it trickles bytes.
      if (pending.length > 0 && frameDeadline === undefined) frameDeadline = setTimeout(drop, timeoutMs);
      if (pending.length === 0) clearDeadline();
    });
  }

  /**
   * The common query answered from the zone's stored bytes (wire-answers.ts; names outside the zone and
   * names it lacks included) and counted: the reply (for TCP with its length in front), or undefined when
   * the query is not of the common shape or its answer is not stored; then `handle` answers it in full.
   * Nothing here is allocated but the reply.
   */
  private fromStore(packet: Buffer, transport: Transport, started: number): Buffer | undefined {
    const { answers, head } = this;
    if (answers === undefined) return undefined;
    let reply: Buffer;
    let rcode: number;
    try {
      if (!head.read(packet)) return undefined;
      const stored = answers.find(packet, head);
      if (stored < 0) return undefined;
      reply = answers.reply(packet, head, stored, transport, transport === 'tcp');
      rcode = answers.rcodeOf(stored);
    } catch (error) {
      // Written not to throw; if a bug makes it, the full path answers this query.
      this.report(
        `a stored ${transport} answer failed: ${error instanceof Error ? error.message : String(error)}`,
      );
      return undefined;
    }
    this.metrics.answeredFromStore(head.type, rcode, transport, (performance.now() - started) / 1000);
    return reply;
  }

  /** Any query, answered in full: decoded, resolved, encoded. */
  private handle(packet: Buffer, transport: Transport, started: number): Outcome {
    let outcome: Outcome;
    try {
      outcome = respond(packet, this.options.zone, this.resolver, transport);
    } catch (error) {
      // respond() is written not to throw; if a bug makes it, drop this packet and keep serving.
      this.report(
        `answering a ${transport} query failed: ${error instanceof Error ? error.message : String(error)}`,
      );
      return { reply: undefined, qtype: 'none', rcode: 'SERVFAIL', malformed: false, truncated: false };
    }
    if (outcome.malformed) this.metrics.malformed.inc({ transport });
    if (outcome.reply !== undefined) {
      this.metrics.answered(outcome.qtype, outcome.rcode, transport, (performance.now() - started) / 1000);
    }
    return outcome;
  }

  private report(message: string): void {
    this.options.onError?.(message);
  }
}
