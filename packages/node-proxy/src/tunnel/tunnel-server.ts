/**
 * The destination end of the tunnel between node proxies (the shape of Istio ambient's HBONE): mutual TLS 1.3
 * on one port (15008), HTTP/2 inside, one CONNECT stream per call to `podIP:port`.
 *
 * A connection is admitted to HTTP/2 only once its client certificate chains to the trust bundle (the `ca` of
 * the context `secureContext()` returns) and it negotiated `h2`; each verified identity may hold a bounded
 * number of connections and each connection a bounded number of streams. A stream is served only if it is a
 * CONNECT to `podIP:port` and the injected `authorise` allows the caller's verified SPIFFE identity to reach
 * that pod; then the pod is dialled and bytes are spliced both ways. Every refusal is one typed kind, mapped
 * once (tunnel-refusals.ts) to a status and a reason header, counted in `counts`, and logged (throttled).
 *
 * Unauthenticated peers never reach the HTTP/2 parser: TLS is terminated by a `node:tls` server, which hands
 * the admitted sockets to an `node:http2` server that has no listener of its own.
 */

import type { IncomingHttpHeaders, ServerHttp2Stream } from 'node:http2';
import {
  constants,
  createServer as createH2Server,
  type Http2Server,
  type ServerHttp2Session,
} from 'node:http2';
import { connect, type Socket } from 'node:net';
import { createServer as createTlsServer, type SecureContext, type Server, type TLSSocket } from 'node:tls';
import type { Logger } from '@nodemesh/kube-runtime';
import { spiffeIdOf, type WorkloadIdentity } from '@nodemesh/smi-types';
import { peerIdentity } from '../identity/peer-identity.js';
import { type SpliceCounts, splice } from './splice.js';
import { ThrottledLog } from './throttled-log.js';
import {
  type Authorise,
  type ConnectionRefusalKind,
  type Decision,
  REFUSAL_HEADER,
  REFUSALS,
  type RefusalKind,
} from './tunnel-refusals.js';
import { parseTunnelTarget, type TunnelTarget } from './tunnel-target.js';

/** The tunnel port, as Istio's HBONE. */
export const DEFAULT_TUNNEL_PORT = 15008;

export interface TunnelServerOptions {
  readonly trustDomain: string;
  /**
   * This node proxy's TLS context, read at each handshake (so a renewal applies to the next connection): its
   * own certificate and key, and the trust bundle's roots as `ca`, which client certificates must chain to.
   * Undefined while it has none: handshakes fail until it has.
   */
  readonly secureContext: () => SecureContext | undefined;
  readonly authorise: Authorise;
  readonly logger: Logger;
  /** A TLS handshake not done in this long is dropped (default 10 s). */
  readonly handshakeTimeoutMs?: number;
  /** Streams one connection may have open at once (HTTP/2 SETTINGS_MAX_CONCURRENT_STREAMS; default 256). */
  readonly maxConcurrentStreams?: number;
  /** Connections one verified identity may hold at once (default 8: a caller's pool needs one, two in a rotation). */
  readonly maxConnectionsPerIdentity?: number;
  /** Connections in total, handshaking ones included (default 4096). */
  readonly maxConnections?: number;
  /** How long the pod may take to accept the TCP connection (default 5 s). */
  readonly connectTimeoutMs?: number;
  /** A connection with no frame in this long is closed with GOAWAY (default 5 min). */
  readonly sessionIdleTimeoutMs?: number;
  /** A stream with no byte either way in this long is reset (default 0: never, as on the TCP listeners). */
  readonly streamIdleTimeoutMs?: number;
  /** Hears every stream once decided, and every accepted one once closed (per-identity metrics). */
  readonly observer?: TunnelStreamObserver;
}

/** What a stream came to: served, or why not. */
export type StreamOutcome = 'accepted' | RefusalKind;

export interface TunnelStreamObserver {
  /** Once per stream: accepted (the pod answered) or refused. `source` is the verified identity, if any. */
  decided(
    source: WorkloadIdentity | undefined,
    target: TunnelTarget | undefined,
    outcome: StreamOutcome,
  ): void;
  /** Once per accepted stream, when both sides are gone: the bytes it carried. */
  closed(source: WorkloadIdentity, target: TunnelTarget, bytes: SpliceCounts): void;
}

type ConnectionRefusals = Record<ConnectionRefusalKind, number>;
type StreamRefusals = Record<RefusalKind, number>;

/** Plain counters, for the metrics to read at scrape time. */
export interface TunnelServerCounts {
  /** TLS connections admitted to HTTP/2 (verified client certificate). */
  handshakes: number;
  connectionsOpen: number;
  connectionsRefused: ConnectionRefusals;
  streamsAccepted: number;
  streamsOpen: number;
  streamsRefused: StreamRefusals;
  bytesToPods: number;
  bytesFromPods: number;
  /** Open streams closed because a newer policy no longer admits them (`revalidate`). */
  streamsRevoked: number;
}

interface OpenStream {
  readonly stream: ServerHttp2Stream;
  readonly pod: Socket;
  readonly peer: Peer & { readonly identity: WorkloadIdentity };
  readonly target: TunnelTarget;
}

const NO_IDENTITY = '(no identity)';
/** The most of an untrusted certificate's names a log line shows. */
const MAX_CLAIM_LENGTH = 256;

interface Peer {
  readonly identity: WorkloadIdentity | undefined;
  /** The SPIFFE ID, or why there is none, for logs. */
  readonly name: string;
  readonly address: string;
}

export class TunnelServer {
  readonly counts: TunnelServerCounts = {
    handshakes: 0,
    connectionsOpen: 0,
    connectionsRefused: {
      'tls-error': 0,
      'no-certificate': 0,
      'untrusted-certificate': 0,
      'not-h2': 0,
      'too-many-connections': 0,
    },
    streamsAccepted: 0,
    streamsOpen: 0,
    streamsRefused: {
      'not-connect': 0,
      'bad-authority': 0,
      'no-identity': 0,
      'denied-by-policy': 0,
      'not-on-this-node': 0,
      'upstream-unreachable': 0,
      'upstream-timeout': 0,
      'shutting-down': 0,
    },
    bytesToPods: 0,
    bytesFromPods: 0,
    streamsRevoked: 0,
  };
  readonly #o: TunnelServerOptions;
  readonly #tls: Server;
  readonly #h2: Http2Server;
  readonly #log: ThrottledLog;
  readonly #perIdentity = new Map<string, number>();
  readonly #peers = new WeakMap<ServerHttp2Session, Peer>();
  readonly #sockets = new Set<TLSSocket>();
  readonly #sessions = new Set<ServerHttp2Session>();
  readonly #open = new Set<OpenStream>();
  #closing = false;

  constructor(options: TunnelServerOptions) {
    this.#o = options;
    this.#log = new ThrottledLog(options.logger);
    this.#tls = createTlsServer({
      SNICallback: (_name, done) => {
        const context = this.#o.secureContext();
        if (context === undefined) done(new Error('this node has no tunnel certificate yet'), undefined);
        else done(null, context);
      },
      requestCert: true,
      // Checked by #secured, so that every refusal is counted with its reason; nothing reaches HTTP/2 before.
      rejectUnauthorized: false,
      minVersion: 'TLSv1.3',
      ALPNProtocols: ['h2'],
      handshakeTimeout: options.handshakeTimeoutMs ?? 10_000,
    });
    this.#tls.maxConnections = options.maxConnections ?? 4096;
    this.#tls.on('secureConnection', (socket) => this.#secured(socket));
    this.#tls.on('tlsClientError', (error, socket) => {
      socket.destroy();
      this.#refuseConnection('tls-error', socket.remoteAddress, errorText(error));
    });
    this.#h2 = createH2Server({
      settings: { maxConcurrentStreams: options.maxConcurrentStreams ?? 256, enablePush: false },
      maxHeaderListPairs: 32,
    });
    this.#h2.on('session', (session) => this.#opened(session));
    this.#h2.on('stream', (stream, headers) => this.#stream(stream, headers));
  }

  /** `sharing`: `{ reusePort: true }` in a worker that shares the port with its siblings (workers/port-sharing.ts). */
  listen(
    host: string,
    port = DEFAULT_TUNNEL_PORT,
    sharing: { readonly reusePort?: true } = {},
  ): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#tls.once('error', reject);
      this.#tls.listen({ host, port, ...sharing }, () => {
        this.#tls.off('error', reject);
        resolve();
      });
    });
  }

  boundPort(): number | undefined {
    const address = this.#tls.address();
    return typeof address === 'object' && address !== null ? address.port : undefined;
  }

  /**
   * Asks `authorise` again for every open stream (the policy or the pods changed) and resets those it now
   * refuses, with the reason in the log. Returns how many were closed.
   */
  revalidate(): number {
    let revoked = 0;
    for (const open of this.#open) {
      const decision = this.#authorise(open.peer.identity, open.target);
      if (decision.kind === 'allowed') continue;
      revoked += 1;
      this.#open.delete(open);
      this.counts.streamsRevoked += 1;
      this.#log.warn(`revoked-${decision.kind}`, 'open tunnel stream closed: no longer authorised', {
        source: open.peer.name,
        address: open.peer.address,
        target: `${open.target.podIP}:${open.target.port}`,
        reason: decision.kind,
        detail: decision.detail,
      });
      open.pod.destroy();
      if (!open.stream.closed) open.stream.close(constants.NGHTTP2_CANCEL);
    }
    return revoked;
  }

  /** Stops accepting, sends GOAWAY on every connection so open streams can finish, cuts what is left at the deadline. */
  async close(deadlineMs = 5_000): Promise<void> {
    this.#closing = true;
    const closed = new Promise<void>((resolve) => this.#tls.close(() => resolve()));
    for (const session of this.#sessions) session.close();
    const cut = setTimeout(() => {
      for (const socket of this.#sockets) socket.destroy();
    }, deadlineMs);
    try {
      await closed;
    } finally {
      clearTimeout(cut);
    }
  }

  #secured(socket: TLSSocket): void {
    socket.on('error', () => socket.destroy());
    const address = socket.remoteAddress ?? '';
    if (socket.alpnProtocol !== 'h2') {
      socket.destroy();
      this.#refuseConnection('not-h2', address, `ALPN ${String(socket.alpnProtocol)}`);
      return;
    }
    if (!socket.authorized) {
      const presented = socket.getPeerX509Certificate();
      socket.destroy();
      // What an untrusted certificate claims to be is logged as a claim (nothing verified it), and cut short.
      this.#refuseConnection(
        presented === undefined ? 'no-certificate' : 'untrusted-certificate',
        address,
        String(socket.authorizationError),
        presented?.subjectAltName?.slice(0, MAX_CLAIM_LENGTH),
      );
      return;
    }
    if (this.#closing) {
      socket.destroy();
      return;
    }
    const identity = peerIdentity(socket, this.#o.trustDomain);
    const name = identity === undefined ? NO_IDENTITY : spiffeIdOf(identity);
    const held = this.#perIdentity.get(name) ?? 0;
    if (held >= (this.#o.maxConnectionsPerIdentity ?? 8)) {
      socket.destroy();
      this.#refuseConnection('too-many-connections', address, `${name} holds ${held}`);
      return;
    }
    this.#perIdentity.set(name, held + 1);
    this.#sockets.add(socket);
    this.counts.handshakes += 1;
    this.counts.connectionsOpen += 1;
    socket.once('close', () => {
      this.#sockets.delete(socket);
      this.counts.connectionsOpen -= 1;
      const left = (this.#perIdentity.get(name) ?? 1) - 1;
      if (left > 0) this.#perIdentity.set(name, left);
      else this.#perIdentity.delete(name);
    });
    // Admitted: from here the HTTP/2 server owns the socket.
    this.#h2.emit('connection', socket);
  }

  #opened(session: ServerHttp2Session): void {
    const socket = session.socket as TLSSocket;
    const identity = peerIdentity(socket, this.#o.trustDomain);
    const name =
      identity === undefined
        ? `no SPIFFE ID of trust domain ${this.#o.trustDomain} (${String(socket.getPeerX509Certificate()?.subjectAltName)})`
        : spiffeIdOf(identity);
    this.#peers.set(session, { identity, name, address: socket.remoteAddress ?? '' });
    this.#sessions.add(session);
    session.on('error', () => session.destroy());
    session.once('close', () => this.#sessions.delete(session));
    session.setTimeout(this.#o.sessionIdleTimeoutMs ?? 300_000, () => session.close());
  }

  #stream(stream: ServerHttp2Stream, headers: IncomingHttpHeaders): void {
    stream.on('error', () => stream.destroy());
    const peer = this.#peers.get(stream.session as ServerHttp2Session);
    const verdict = this.#judge(peer, headers);
    if (verdict.refusal !== undefined || peer?.identity === undefined) {
      this.#refuse(stream, verdict.refusal ?? 'shutting-down', peer, verdict.target, verdict.detail);
    } else {
      this.#dial(stream, peer, peer.identity, verdict.target);
    }
  }

  /** What to do with a new stream: its target, or why it is refused. */
  #judge(
    peer: Peer | undefined,
    headers: IncomingHttpHeaders,
  ):
    | { refusal: undefined; target: TunnelTarget; detail?: undefined }
    | { refusal: RefusalKind; target?: TunnelTarget | undefined; detail?: string | undefined } {
    if (peer === undefined || this.#closing) return { refusal: 'shutting-down' };
    if (headers[':method'] !== 'CONNECT') return { refusal: 'not-connect' };
    const target = parseTunnelTarget(headers[':authority']);
    if (target === undefined) {
      return { refusal: 'bad-authority', detail: JSON.stringify(headers[':authority']) };
    }
    if (peer.identity === undefined) return { refusal: 'no-identity', target, detail: peer.name };
    const decision = this.#authorise(peer.identity, target);
    if (decision.kind === 'allowed') return { refusal: undefined, target };
    return { refusal: decision.kind, target, detail: decision.detail };
  }

  #authorise(source: WorkloadIdentity, target: TunnelTarget): Decision {
    try {
      return this.#o.authorise({ source, podIP: target.podIP, port: target.port });
    } catch (error) {
      // Fail closed.
      this.#o.logger.error('tunnel authorisation failed', { error: errorText(error) });
      return { kind: 'denied-by-policy', detail: 'authorisation failed' };
    }
  }

  #dial(stream: ServerHttp2Stream, peer: Peer, source: WorkloadIdentity, target: TunnelTarget): void {
    const pod = connect({ host: target.podIP, port: target.port, allowHalfOpen: true });
    const timer = setTimeout(() => {
      pod.destroy();
      this.#refuse(stream, 'upstream-timeout', peer, target);
    }, this.#o.connectTimeoutMs ?? 5_000);
    const failed = (error: Error) => {
      clearTimeout(timer);
      this.#refuse(stream, 'upstream-unreachable', peer, target, errorText(error));
    };
    const callerGone = () => {
      clearTimeout(timer);
      pod.destroy();
    };
    pod.once('error', failed);
    stream.once('close', callerGone);
    pod.once('connect', () => {
      clearTimeout(timer);
      pod.off('error', failed);
      stream.off('close', callerGone);
      if (stream.closed || stream.destroyed) {
        pod.destroy();
        return;
      }
      this.#accepted({ stream, pod, peer: { ...peer, identity: source }, target });
    });
  }

  #accepted(open: OpenStream): void {
    const { stream, pod } = open;
    this.counts.streamsAccepted += 1;
    this.counts.streamsOpen += 1;
    this.#open.add(open);
    this.#o.observer?.decided(open.peer.identity, open.target, 'accepted');
    stream.respond({ ':status': 200 });
    const idle = this.#o.streamIdleTimeoutMs ?? 0;
    if (idle > 0) stream.setTimeout(idle, () => stream.close(constants.NGHTTP2_CANCEL));
    const bytes = { bytesToPod: 0, bytesFromPod: 0 };
    splice(stream, pod, bytes, () => {
      this.#open.delete(open);
      this.counts.streamsOpen -= 1;
      this.counts.bytesToPods += bytes.bytesToPod;
      this.counts.bytesFromPods += bytes.bytesFromPod;
      this.#o.observer?.closed(open.peer.identity, open.target, bytes);
    });
  }

  #refuse(
    stream: ServerHttp2Stream,
    kind: RefusalKind,
    peer: Peer | undefined,
    target: TunnelTarget | undefined,
    detail?: string,
  ): void {
    this.counts.streamsRefused[kind] += 1;
    this.#o.observer?.decided(peer?.identity, target, kind);
    const { status, reason } = REFUSALS[kind];
    this.#log.warn(kind, `tunnel stream refused: ${reason}`, {
      source: peer?.name,
      address: peer?.address,
      target: target === undefined ? undefined : `${target.podIP}:${target.port}`,
      status,
      detail,
    });
    if (stream.closed || stream.destroyed) return;
    if (stream.headersSent) {
      stream.close(constants.NGHTTP2_REFUSED_STREAM);
      return;
    }
    // The whole answer, then RST_STREAM(NO_ERROR): the caller stops sending (RFC 9113 §8.1) and the stream
    // frees its slot at once rather than when a hostile caller chooses to end its side.
    stream.respond({ ':status': status, [REFUSAL_HEADER]: kind }, { endStream: true });
    stream.close(constants.NGHTTP2_NO_ERROR);
  }

  #refuseConnection(
    kind: ConnectionRefusalKind,
    address: string | undefined,
    detail: string,
    claimed?: string,
  ): void {
    this.counts.connectionsRefused[kind] += 1;
    this.#log.warn(kind, 'tunnel connection refused', { address, detail, claimed });
  }
}

function errorText(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return typeof code === 'string' ? `${code}: ${error.message}` : error.message;
  }
  return String(error);
}
