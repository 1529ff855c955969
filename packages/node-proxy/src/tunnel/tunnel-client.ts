/**
 * The caller end of the tunnel between node proxies: one HTTP/2 session over mutual TLS 1.3 per (caller
 * identity, destination node), carrying one CONNECT stream per call to `podIP:port`.
 *
 * A session presents the caller's ServiceAccount certificate (`secureContextFor(namespace, serviceAccount)`,
 * the context `WorkloadIdentities` keeps) and accepts the destination only if its certificate chains to the
 * trust bundle and names the node proxies' SPIFFE ID. Sessions are reused, so a call costs a stream and no
 * handshake; a session is closed when it has had no stream for `idleTimeoutMs`, replaced after a GOAWAY or an
 * error, and replaced for new calls when the caller's context changes (a renewed certificate or a new trust
 * bundle): streams already open on the old session finish on it, and it closes after the last.
 *
 * `open` resolves with the stream once the destination answered 200: a Duplex that TCP forwarding can pipe
 * into, or that an HTTP client (undici's `connect` option) can use as its connection.
 */
import {
  type ClientHttp2Session,
  type ClientHttp2Stream,
  connect as connectH2,
  constants,
  type IncomingHttpHeaders,
} from 'node:http2';
import { isIPv6 } from 'node:net';
import type { Duplex } from 'node:stream';
import type { PeerCertificate, SecureContext } from 'node:tls';
import { parseSpiffeId, spiffeIdOf, type WorkloadIdentity } from '@nodemesh/smi-types';
import { isRefusalKind, REFUSAL_HEADER, REFUSALS, type RefusalKind } from './tunnel-refusals.js';
import { DEFAULT_TUNNEL_PORT } from './tunnel-server.js';
import { formatTunnelTarget, type TunnelTarget } from './tunnel-target.js';

/** The server name our client sends (SNI): the tunnel server picks its context by it; certificates are checked by SPIFFE ID. */
export const TUNNEL_SERVER_NAME = 'tunnel.nodemesh.internal';

export interface TunnelClientOptions {
  /** The identity the destination's node proxy must present (the node proxies' ServiceAccount). */
  readonly serverIdentity: WorkloadIdentity;
  /** The caller's TLS context (its key and chain, the trust bundle as `ca`), or undefined when none is held. */
  readonly secureContextFor: (namespace: string, serviceAccount: string) => SecureContext | undefined;
  /** A session with no open stream for this long is closed (default 60 s). */
  readonly idleTimeoutMs?: number;
  /** TLS handshake, and then the destination's answer to a CONNECT, each within this long (default 10 s). */
  readonly connectTimeoutMs?: number;
}

export interface Caller {
  readonly namespace: string;
  readonly serviceAccount: string;
}

export interface DestinationNode {
  /** The destination node proxy's address (its pod IP, or the node's address with host networking). */
  readonly address: string;
  readonly port?: number;
}

export type TunnelErrorKind =
  /** The caller has no certificate on this node (none issued yet, or expired). */
  | 'no-certificate'
  /** The TLS connection failed: unreachable, refused our certificate, or presented one we do not trust. */
  | 'connect-failed'
  /** The destination answered the CONNECT with a refusal (`refusal` says which). */
  | 'refused'
  /** No answer to the CONNECT in time. */
  | 'timeout'
  /** The session ended before the destination answered. */
  | 'session-closed'
  | 'closed';

export class TunnelError extends Error {
  readonly kind: TunnelErrorKind;
  /** For `refused`: the destination's reason, and its status. */
  readonly refusal: RefusalKind | undefined;
  readonly status: number | undefined;

  constructor(kind: TunnelErrorKind, message: string, refusal?: RefusalKind, status?: number) {
    super(message);
    this.name = 'TunnelError';
    this.kind = kind;
    this.refusal = refusal;
    this.status = status;
  }
}

/** Plain counters, for the metrics to read at scrape time. */
export interface TunnelClientCounts {
  /** TLS handshakes completed: sessions opened. */
  handshakes: number;
  sessionsOpen: number;
  streamsOpened: number;
  streamsFailed: number;
  /** Sessions replaced because the caller's certificate or trust bundle changed. */
  rotations: number;
}

interface PooledSession {
  readonly key: string;
  readonly session: ClientHttp2Session;
  readonly context: SecureContext;
  streams: number;
  idleTimer: NodeJS.Timeout | undefined;
  /** The server's HTTP/2 SETTINGS arrived: it admitted our certificate (a refusal closes before). */
  admitted: boolean;
}

export class TunnelClient {
  readonly counts: TunnelClientCounts = {
    handshakes: 0,
    sessionsOpen: 0,
    streamsOpened: 0,
    streamsFailed: 0,
    rotations: 0,
  };
  readonly #o: TunnelClientOptions;
  readonly #expectedServer: string;
  /** The session new calls use, per `namespace/serviceAccount|node`. */
  readonly #pool = new Map<string, PooledSession>();
  /** Every session still open, retired ones included. */
  readonly #all = new Set<PooledSession>();
  #closed = false;

  constructor(options: TunnelClientOptions) {
    this.#o = options;
    this.#expectedServer = spiffeIdOf(options.serverIdentity);
  }

  /** Opens a tunnel stream to `target` through `node`'s tunnel server, as `caller`. Rejects with a TunnelError. */
  open(caller: Caller, node: DestinationNode, target: TunnelTarget): Promise<Duplex> {
    if (this.#closed) return Promise.reject(new TunnelError('closed', 'the tunnel client is closed'));
    const context = this.#o.secureContextFor(caller.namespace, caller.serviceAccount);
    if (context === undefined) {
      this.counts.streamsFailed += 1;
      return Promise.reject(
        new TunnelError(
          'no-certificate',
          `no certificate for ${caller.namespace}/${caller.serviceAccount} on this node`,
        ),
      );
    }
    const pooled = this.#sessionFor(caller, node, context);
    return this.#request(pooled, target);
  }

  /**
   * Resolves once a session to `node` as `caller` is up (the destination admitted the certificate), opening
   * one if need be; rejects with a TunnelError. Lets a caller find out before it commits a request to it.
   */
  ready(caller: Caller, node: DestinationNode): Promise<void> {
    if (this.#closed) return Promise.reject(new TunnelError('closed', 'the tunnel client is closed'));
    const context = this.#o.secureContextFor(caller.namespace, caller.serviceAccount);
    if (context === undefined) {
      return Promise.reject(
        new TunnelError(
          'no-certificate',
          `no certificate for ${caller.namespace}/${caller.serviceAccount} on this node`,
        ),
      );
    }
    const pooled = this.#sessionFor(caller, node, context);
    if (pooled.admitted) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const { session } = pooled;
      const done = () => {
        session.off('remoteSettings', up);
        session.off('close', down);
      };
      const up = () => {
        done();
        resolve();
      };
      const down = () => {
        done();
        reject(new TunnelError('connect-failed', 'the tunnel connection closed before HTTP/2 began'));
      };
      session.once('remoteSettings', up);
      session.once('close', down);
    });
  }

  /** Open sessions, retired ones included. */
  get sessions(): number {
    return this.#all.size;
  }

  /** Closes every session: open streams are cut. */
  async close(): Promise<void> {
    this.#closed = true;
    const closing = [...this.#all].map(
      (p) =>
        new Promise<void>((resolve) => {
          if (p.session.closed && p.session.destroyed) resolve();
          else p.session.once('close', () => resolve());
          p.session.destroy();
        }),
    );
    await Promise.all(closing);
  }

  #sessionFor(caller: Caller, node: DestinationNode, context: SecureContext): PooledSession {
    const port = node.port ?? DEFAULT_TUNNEL_PORT;
    const key = `${caller.namespace}/${caller.serviceAccount}|${node.address}:${port}`;
    const current = this.#pool.get(key);
    if (current !== undefined && !current.session.closed && !current.session.destroyed) {
      if (current.context === context) return current;
      // A renewed certificate (or a new bundle): new calls go on a new session, open streams finish on this one.
      this.counts.rotations += 1;
      this.#retire(current);
    }
    const pooled = this.#connect(key, node.address, port, context);
    this.#pool.set(key, pooled);
    return pooled;
  }

  #connect(key: string, address: string, port: number, context: SecureContext): PooledSession {
    const host = isIPv6(address) ? `[${address}]` : address;
    const session = connectH2(`https://${host}:${port}`, {
      secureContext: context,
      servername: TUNNEL_SERVER_NAME,
      minVersion: 'TLSv1.3',
      ALPNProtocols: ['h2'],
      checkServerIdentity: (_name: string, cert: PeerCertificate) => this.#checkServer(cert),
      settings: { enablePush: false },
    });
    const pooled: PooledSession = {
      key,
      session,
      context,
      streams: 0,
      idleTimer: undefined,
      admitted: false,
    };
    this.#all.add(pooled);
    this.counts.sessionsOpen += 1;
    const handshake = setTimeout(
      () => session.destroy(new Error('TLS handshake timed out')),
      this.#o.connectTimeoutMs ?? 10_000,
    );
    session.once('connect', () => {
      clearTimeout(handshake);
      this.counts.handshakes += 1;
    });
    session.once('remoteSettings', () => {
      pooled.admitted = true;
    });
    session.on('error', () => this.#retire(pooled));
    session.once('goaway', () => this.#retire(pooled));
    session.once('close', () => {
      clearTimeout(handshake);
      clearTimeout(pooled.idleTimer);
      this.#all.delete(pooled);
      this.counts.sessionsOpen -= 1;
      if (this.#pool.get(key) === pooled) this.#pool.delete(key);
    });
    return pooled;
  }

  /** A certificate naming exactly the node proxies' SPIFFE ID (its chain Node has checked against `ca`). */
  #checkServer(cert: PeerCertificate): Error | undefined {
    const names = cert.subjectaltname?.split(', ') ?? [];
    const only = names.length === 1 ? names[0] : undefined;
    const identity = only?.startsWith('URI:') ? parseSpiffeId(only.slice('URI:'.length)) : undefined;
    if (identity !== undefined && spiffeIdOf(identity) === this.#expectedServer) return undefined;
    return new Error(
      `the tunnel server presents ${String(cert.subjectaltname)}, not ${this.#expectedServer}`,
    );
  }

  /** No new calls on this session; it closes once its open streams are done. */
  #retire(pooled: PooledSession): void {
    if (this.#pool.get(pooled.key) === pooled) this.#pool.delete(pooled.key);
    if (!pooled.session.closed) pooled.session.close();
  }

  #request(pooled: PooledSession, target: TunnelTarget): Promise<Duplex> {
    const { session } = pooled;
    return new Promise<Duplex>((resolve, reject) => {
      let stream: ClientHttp2Stream;
      try {
        stream = session.request(
          { ':method': 'CONNECT', ':authority': formatTunnelTarget(target) },
          { endStream: false },
        );
      } catch (error) {
        this.counts.streamsFailed += 1;
        reject(new TunnelError('session-closed', `the tunnel session is closing: ${String(error)}`));
        return;
      }
      pooled.streams += 1;
      clearTimeout(pooled.idleTimer);
      pooled.idleTimer = undefined;
      let settled = false;
      const fail = (error: TunnelError) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        this.counts.streamsFailed += 1;
        stream.destroy();
        reject(error);
      };
      const timer = setTimeout(
        () => fail(new TunnelError('timeout', 'the tunnel server did not answer the CONNECT in time')),
        this.#o.connectTimeoutMs ?? 10_000,
      );
      stream.once('response', (headers: IncomingHttpHeaders) => {
        const status = Number(headers[':status']);
        if (status === 200) {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          this.counts.streamsOpened += 1;
          resolve(stream);
          return;
        }
        const named = headers[REFUSAL_HEADER];
        const refusal = isRefusalKind(named) ? named : undefined;
        const reason = refusal === undefined ? `status ${status}` : REFUSALS[refusal].reason;
        fail(new TunnelError('refused', `the destination refused the tunnel: ${reason}`, refusal, status));
      });
      stream.on('error', (error: Error) => {
        if (settled) return;
        fail(
          pooled.admitted
            ? new TunnelError('session-closed', `the tunnel stream failed: ${error.message}`)
            : new TunnelError('connect-failed', `the tunnel connection failed: ${error.message}`),
        );
      });
      stream.once('close', () => {
        if (!settled) {
          const code = stream.rstCode;
          fail(
            pooled.admitted
              ? new TunnelError(
                  'session-closed',
                  code === constants.NGHTTP2_REFUSED_STREAM
                    ? 'the tunnel server refused the stream'
                    : `the tunnel stream closed before an answer (code ${String(code)})`,
                )
              : new TunnelError(
                  'connect-failed',
                  'the tunnel server closed the connection before HTTP/2 began (our certificate refused?)',
                ),
          );
        }
        pooled.streams -= 1;
        if (pooled.streams === 0) this.#idle(pooled);
      });
    });
  }

  #idle(pooled: PooledSession): void {
    if (pooled.session.closed) return;
    pooled.idleTimer = setTimeout(() => this.#retire(pooled), this.#o.idleTimeoutMs ?? 60_000);
    pooled.idleTimer.unref();
  }
}
