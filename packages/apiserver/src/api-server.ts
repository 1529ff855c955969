import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseCidr } from './admission/cidr.js';
import { statusObject } from './api/api-error.js';
import { JwtSigner } from './auth/jwt.js';
import { type ClusterConfig, type ClusterState, createClusterState } from './cluster-state.js';
import type { AuditCall } from './http/audit-call.js';
import { FailureCounter, type Faults } from './http/faults.js';
import { createRequestHandler } from './http/http-handler.js';
import { WatchHub } from './http/watch-stream.js';
import { PortForwarder } from './pods/pod-port-forward.js';
import { podUpgradeHandler } from './pods/pod-subresources.js';
import type { ObjectStore } from './store/object-store.js';

export interface ApiServerOptions {
  /** Port to listen on; 0 (the default) picks a free one. */
  port?: number;
  /** Address to listen on; loopback by default. */
  host?: string;
  /** Block ClusterIPs are handed out from (never opened by this server). Default 10.96.0.0/16. */
  serviceCidr?: string;
  /** Events kept for watch resumption; older resourceVersions get 410 Expired. Default 1000. */
  historySize?: number;
  /** Largest request body accepted (413 beyond). Default 3 MiB, like the real server. */
  maxBodyBytes?: number;
  /** Server-side cap on a watch's life, and its length when the client gives none. Default 1800. */
  watchTimeoutSeconds?: number;
  /** How often a watch with allowWatchBookmarks gets a BOOKMARK. Default 60000. */
  bookmarkIntervalMs?: number;
  /** How long a deleted Namespace stays Terminating before its contents and it are removed. Default 100. */
  namespaceDeletionDelayMs?: number;
  /**
   * Audit hook: called once per resource request with its RBAC attributes (verb, group, resource, ...), so
   * tests can check what a component really calls. Not for discovery or health paths. Must not throw.
   */
  onRequest?: (call: AuditCall) => void;
}

export interface ApiServer {
  /** `http://host:port`, for `kubectl --server` and client-node's cluster.server. */
  readonly url: string;
  readonly port: number;
  /** The live store (changes identity after a restart without keeping state). */
  readonly store: ObjectStore;
  readonly faults: Faults;
  /** Watches being streamed now (tests wait on it before causing the change they watch for). */
  readonly openWatches: number;
  stop(): Promise<void>;
  restart(options?: { keepState?: boolean; downMs?: number }): Promise<void>;
}

const loopbackHosts = new Set(['127.0.0.1', 'localhost', '::1']);

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error) => reject(error);
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) {
      resolve();
      return;
    }
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

function controlReply(res: ServerResponse, body: unknown, code = 200): void {
  const text = JSON.stringify(body);
  res.writeHead(code, { 'Content-Type': 'application/json' });
  res.end(text);
}

/**
 * Starts an in-memory Kubernetes API server on loopback. Not a production API server: no authentication,
 * no persistence, no admission webhooks.
 */
export async function startApiServer(options: ApiServerOptions = {}): Promise<ApiServer> {
  const host = options.host ?? '127.0.0.1';
  const cidr = parseCidr(options.serviceCidr ?? '10.96.0.0/16');
  if (!cidr.ok) throw new Error(cidr.error);
  const config: ClusterConfig = {
    serviceCidr: cidr.value,
    historySize: options.historySize ?? 1000,
    namespaceDeletionDelayMs: options.namespaceDeletionDelayMs ?? 100,
  };
  let state: ClusterState = createClusterState(config);
  const hub = new WatchHub();
  const failures = new FailureCounter();
  const tokens = new JwtSigner();
  let stopped = false;

  const forwarder = new PortForwarder();
  const restartOnce = async (opts: { keepState?: boolean; downMs?: number }): Promise<void> => {
    hub.closeAll();
    forwarder.close();
    await close(server);
    state.stopControllers();
    if (opts.downMs && opts.downMs > 0) await new Promise((r) => setTimeout(r, opts.downMs));
    const old = state.store;
    state =
      opts.keepState === false
        ? createClusterState(config, undefined, old.resourceVersion)
        : createClusterState(config, old);
    if (!stopped) await listen(server, port, host);
  };
  // Restarts run one after another, never interleaved.
  let restarting: Promise<void> = Promise.resolve();
  const restart = (opts: { keepState?: boolean; downMs?: number } = {}): Promise<void> => {
    const next = restarting.then(() => restartOnce(opts));
    restarting = next.catch(() => {});
    return next;
  };

  const faults: Faults = {
    failNext(count, code = 500) {
      failures.set(count, code);
    },
    dropWatches: () => hub.closeAll(),
    restart,
  };

  const control = (method: string, url: URL, res: ServerResponse): boolean => {
    const action = url.pathname.slice('/_nodemesh/faults/'.length);
    if (!url.pathname.startsWith('/_nodemesh/faults/')) return false;
    if (method !== 'POST') {
      controlReply(res, statusObject(405, 'MethodNotAllowed', 'fault endpoints take POST'), 405);
      return true;
    }
    if (action === 'drop-watches') {
      controlReply(res, { dropped: faults.dropWatches() });
      return true;
    }
    if (action === 'fail') {
      const count = Number(url.searchParams.get('count') ?? '1');
      const code = Number(url.searchParams.get('code') ?? '500');
      if (!Number.isInteger(count) || count < 0 || (code !== 500 && code !== 429)) {
        controlReply(
          res,
          statusObject(400, 'BadRequest', 'fail takes count=<non-negative integer> and code=500|429'),
          400,
        );
        return true;
      }
      faults.failNext(count, code);
      controlReply(res, { failing: count, code });
      return true;
    }
    if (action === 'restart') {
      const keepState = url.searchParams.get('keepState') !== 'false';
      const downMs = Number(url.searchParams.get('downMs') ?? '0');
      if (!Number.isFinite(downMs) || downMs < 0 || downMs > 60_000) {
        controlReply(res, statusObject(400, 'BadRequest', 'downMs must be between 0 and 60000'), 400);
        return true;
      }
      res.writeHead(202, { 'Content-Type': 'application/json', Connection: 'close' });
      res.end(JSON.stringify({ restarting: true, keepState }), () => {
        restart({ keepState, downMs }).catch((error: unknown) => {
          process.stderr.write(
            `nodemesh-apiserver: restart failed: ${error instanceof Error ? error.message : String(error)}\n`,
          );
        });
      });
      return true;
    }
    return false;
  };

  const server = createServer(
    createRequestHandler({
      state: () => state,
      hub,
      failures,
      tokens,
      options: {
        maxBodyBytes: options.maxBodyBytes ?? 3 * 1024 * 1024,
        defaultWatchTimeoutSeconds: options.watchTimeoutSeconds ?? 1800,
        bookmarkIntervalMs: options.bookmarkIntervalMs ?? 60_000,
      },
      control,
      ...(options.onRequest ? { onRequest: options.onRequest } : {}),
    }),
  );
  server.on(
    'upgrade',
    podUpgradeHandler(() => state, forwarder, options.onRequest),
  );
  server.keepAliveTimeout = 5_000;
  const port = await listen(server, options.port ?? 0, host);
  const urlHost = host.includes(':') ? `[${host}]` : host;

  return {
    url: `http://${urlHost}:${port}`,
    port,
    get store() {
      return state.store;
    },
    faults,
    get openWatches() {
      return hub.size;
    },
    async stop() {
      stopped = true;
      hub.closeAll();
      forwarder.close();
      await close(server);
      state.stopControllers();
    },
    restart,
  };
}

/** Whether a host is a loopback address (the binary refuses others unless told). */
export function isLoopbackHost(host: string): boolean {
  return loopbackHosts.has(host) || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}
