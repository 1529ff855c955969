/**
 * A TCP listener: each connection goes to one endpoint of the port's route, bytes flow both ways through
 * `pipe` (so a slow side pauses the other), and a half-close on one side is passed on to the other.
 * Connections count against the node's connection limits. With access control on, a connection no
 * TrafficTarget allows is closed at once; an open one is checked again under every new snapshot and closed
 * when its route, its endpoint or (with access control on) its TrafficTarget is gone (admission.ts).
 */
import { connect, createServer, type Server, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { type Caller, normaliseIp } from '../metrics/caller-resolver.js';
import type { TrafficLabels } from '../metrics/proxy-metrics.js';
import { checkAccess } from '../policy/access-policy.js';
import { chooseConnectionBackend } from '../routing/connection-backend.js';
import type { Backend, Endpoint, Route, Snapshot } from '../snapshot/snapshot.js';
import { objectKey } from '../topology/inputs.js';
import { fallsBack } from '../tunnel/tunnel-router.js';
import { portSharing } from '../workers/port-sharing.js';
import { AdmittedConnections } from './admitted-connections.js';
import { guardConnection } from './connection-guard.js';
import { ConnectionLimiter } from './connection-limiter.js';
import type { Listener, RoutingContext } from './listener.js';

/** No limit: for a listener made on its own (tests); the ListenerManager passes the node's shared one. */
const UNLIMITED = {
  maxConnections: Number.POSITIVE_INFINITY,
  maxConnectionsPerSource: Number.POSITIVE_INFINITY,
};

export class TcpListener implements Listener {
  readonly kind = 'tcp';
  readonly logicalPort: number;
  readonly #ctx: RoutingContext;
  readonly #server: Server;
  readonly #connections = new Set<Socket>();
  readonly #admitted: AdmittedConnections;
  readonly #limiter: ConnectionLimiter;

  constructor(logicalPort: number, ctx: RoutingContext, limiter = new ConnectionLimiter(UNLIMITED)) {
    this.logicalPort = logicalPort;
    this.#ctx = ctx;
    this.#limiter = limiter;
    this.#admitted = new AdmittedConnections(ctx.metrics, ctx.policy.accessControl);
    this.#server = createServer({ allowHalfOpen: true }, (socket) => this.#accept(socket));
  }

  /** Closes the connections a new snapshot no longer admits. */
  revalidate(snapshot: Snapshot): void {
    this.#admitted.revalidate(snapshot);
  }

  listen(host: string, port: number): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen({ host, port, ...portSharing() }, () => {
        this.#server.off('error', reject);
        resolve();
      });
    });
  }

  boundPort(): number | undefined {
    const address = this.#server.address();
    return typeof address === 'object' && address !== null ? address.port : undefined;
  }

  async close(deadlineMs: number): Promise<void> {
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    const cut = setTimeout(() => {
      for (const socket of this.#connections) socket.destroy();
    }, deadlineMs);
    try {
      await closed;
    } finally {
      clearTimeout(cut);
    }
  }

  #accept(client: Socket): void {
    client.on('error', () => client.destroy());
    if (!guardConnection(client, this.#limiter, 'tcp', this.#ctx)) return;
    this.#connections.add(client);
    const snapshot = this.#ctx.snapshot();
    const route = snapshot.tcp.get(this.logicalPort);
    const caller = this.#ctx.callers.resolve(normaliseIp(client.remoteAddress ?? ''));
    const backend =
      route === undefined ? undefined : chooseConnectionBackend(route, this.#ctx.random, caller?.namespace);
    if (route === undefined || backend === undefined) {
      this.#connections.delete(client);
      client.destroy();
      return;
    }
    const labels = {
      caller,
      destinationNamespace: route.service.namespace,
      destinationService: route.service.name,
    };
    if (this.#ctx.policy.accessControl) {
      const decision = checkAccess(snapshot.access, {
        serviceKey: objectKey(backend.service.namespace, backend.service.name),
        port: route.port,
        protocol: 'tcp',
        caller,
      });
      if (!decision.allowed) {
        // Denied: closed at once, before a byte reaches any upstream.
        this.#ctx.metrics.denied(labels, 'tcp', decision.reason);
        this.#connections.delete(client);
        client.destroy();
        return;
      }
    }
    const endpoint = this.#ctx.balancer.pick(backend.endpoints);
    if (endpoint === undefined) {
      this.#connections.delete(client);
      client.destroy();
      return;
    }
    const decision = this.#ctx.tunnels.decide(backend.mtlsMode, endpoint, caller);
    if (decision.kind === 'unavailable') {
      // Strict, and the tunnel cannot carry it: closed before a byte leaves (docs/mtls.md).
      this.#refuse(client, endpoint);
      return;
    }
    const meshCalls = this.#ctx.metrics.meshCalls(backend.service);
    const connection: Spliced = { client, route, backend, endpoint, caller, labels, snapshot };
    if (decision.kind !== 'mtls' || caller === undefined) {
      if (decision.kind === 'fallback') meshCalls.fallback(decision.reason);
      meshCalls[decision.kind === 'local' ? 'local' : 'plaintext'].value++;
      this.#splice(connection, this.#plaintext(endpoint));
      return;
    }
    // Through the tunnel: the caller's bytes wait (paused) until the stream is open.
    client.pause();
    this.#ctx.tunnels.open(caller, endpoint).then(
      (stream) => {
        if (client.destroyed) {
          stream.destroy();
          this.#refuse(client, endpoint);
          return;
        }
        meshCalls.mtls.value++;
        this.#splice(connection, stream);
      },
      (error: unknown) => {
        if (!client.destroyed && backend.mtlsMode === 'permissive' && fallsBack(error)) {
          meshCalls.fallback('tunnel_failed');
          meshCalls.plaintext.value++;
          this.#splice(connection, this.#plaintext(endpoint));
          return;
        }
        this.#refuse(client, endpoint);
      },
    );
  }

  #plaintext(endpoint: Endpoint): Socket {
    return connect({ host: endpoint.address, port: endpoint.port, allowHalfOpen: true });
  }

  /** Closes a connection that gets no upstream. */
  #refuse(client: Socket, endpoint: Endpoint): void {
    this.#connections.delete(client);
    this.#ctx.balancer.release(endpoint);
    client.destroy();
  }

  /** Bytes both ways between the caller and its upstream (a pod's socket, or a tunnel stream to it). */
  #splice(connection: Spliced, upstream: Duplex): void {
    const { client, route, backend, endpoint, caller, labels, snapshot } = connection;
    const meters = this.#ctx.metrics.tcpConnection(labels);
    client.on('data', (chunk: Buffer) => meters.received(chunk.length));
    let finished = false;
    const finish = () => {
      if (finished) return;
      finished = true;
      forget();
      this.#connections.delete(client);
      this.#ctx.balancer.release(endpoint);
      meters.closed();
      client.destroy();
      upstream.destroy();
    };
    const forget = this.#admitted.add(
      {
        protocol: 'tcp',
        listenerPort: this.logicalPort,
        backend: backend.service,
        endpointKey: endpoint.key,
        caller,
        route,
        access: snapshot.access,
      },
      labels,
      () => finish(),
    );
    upstream.on('data', (chunk: Buffer) => meters.sent(chunk.length));
    upstream.on('error', finish);
    client.on('error', finish);
    // Both sides closed (each after its own half-close, or at once on an error).
    let closedSides = 0;
    const sideClosed = () => {
      if (++closedSides === 2) finish();
    };
    client.on('close', sideClosed);
    upstream.on('close', sideClosed);
    client.pipe(upstream);
    upstream.pipe(client);
    client.resume();
  }
}

/** What splicing a connection needs of its admission. */
interface Spliced {
  readonly client: Socket;
  readonly route: Route;
  readonly backend: Backend;
  readonly endpoint: Endpoint;
  readonly caller: Caller | undefined;
  readonly labels: TrafficLabels;
  readonly snapshot: Snapshot;
}
