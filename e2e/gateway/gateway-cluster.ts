/**
 * A small mesh for the Gateway API tests, in this process and on loopback: the in-memory API server, the
 * dns-controller (shadows and route status) and one node-proxy for node-a, with echo backends and caller
 * pods in two namespaces. Routes go in through the real `kubectl`; requests go through real sockets, each
 * from the source address of a caller pod, so the proxy knows the caller's namespace as on a cluster.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import {
  createServer as createHttpServer,
  request as httpRequest,
  type IncomingHttpHeaders,
  type Server,
} from 'node:http';
import { createServer as createH2Server, type Http2Server, connect as h2Connect } from 'node:http2';
import {
  type AddressInfo,
  createServer as createTcpServer,
  connect as netConnect,
  type Server as TcpServer,
} from 'node:net';
import { fileURLToPath } from 'node:url';
import { type ApiServer, startApiServer } from '@nodemesh/apiserver';
import { type DnsController, startDnsController } from '@nodemesh/dns-controller';
import { loadKubeConfig, silentLogger } from '@nodemesh/kube-runtime';
import { type RunningNodeProxy, seededRandom, startNodeProxy } from '@nodemesh/node-proxy';
import { gatewayCustomResourceDefinitions } from '@nodemesh/smi-types';
import { stringify } from 'yaml';

type Json = Record<string, unknown>;

const SMI_CRDS = fileURLToPath(new URL('../../deploy/crds/smi-crds.yaml', import.meta.url));

/** Caller pods on node-a: their source addresses tell the proxy who calls. */
export const CALLERS = {
  shop: '127.0.0.21',
  web: '127.0.0.22',
} as const;

export type CallerNamespace = keyof typeof CALLERS;

export interface Answer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  /** The backend's echo of what it received, when it answered. */
  readonly echo:
    | { backend: string; method: string; url: string; headers: Record<string, string> }
    | undefined;
}

export class GatewayCluster {
  readonly #closers: (() => Promise<unknown>)[] = [];
  api!: ApiServer;
  controller!: DnsController;
  proxy!: RunningNodeProxy;
  /** Port of each backend by name (echo-v1, echo-v2, grpc-a, grpc-b, tcp-a, tcp-b). */
  readonly backends = new Map<string, number>();
  /** Calls of each backend path, for the retry test. */
  readonly calls = new Map<string, number>();

  async start(): Promise<void> {
    this.api = await startApiServer();
    this.#closers.push(() => this.api.stop());
    for (const ns of ['nodemesh', 'shop', 'web', 'backends'])
      await this.post('/api/v1/namespaces', { metadata: { name: ns } });
    await this.kubectl(['apply', '-f', '-'], await readFile(SMI_CRDS, 'utf8'));
    await this.kubectl(
      ['apply', '-f', '-'],
      gatewayCustomResourceDefinitions()
        .map((c) => stringify(c))
        .join('---\n'),
    );

    for (const name of ['echo-v1', 'echo-v2']) this.backends.set(name, await this.#httpBackend(name));
    for (const name of ['grpc-a', 'grpc-b']) this.backends.set(name, await this.#h2Backend(name));
    for (const name of ['tcp-a', 'tcp-b']) this.backends.set(name, await this.#tcpBackend(name));
    for (const [name, port] of this.backends) {
      await this.pod('shop', `${name}-pod`, '127.0.0.1', 'node-b', { app: name });
      const annotations: Record<string, string> = name.startsWith('grpc')
        ? { 'nodemesh.io/scheme': 'h2c' }
        : name.startsWith('tcp')
          ? { 'nodemesh.io/traffic-type': 'tcp' }
          : {};
      await this.service('shop', name, name, port, annotations);
    }
    // echo-v2 again in another namespace, for cross-namespace backendRefs.
    await this.pod('backends', 'echo-v2-pod', '127.0.0.1', 'node-b', { app: 'echo-v2' });
    await this.service('backends', 'echo-v2', 'echo-v2', this.backends.get('echo-v2') ?? 0);
    for (const [ns, ip] of Object.entries(CALLERS))
      await this.pod(ns, 'client', ip, 'node-a', { app: 'client' });

    const kubeConfig = (await loadKubeConfig({ server: this.api.url })).config;
    this.controller = await startDnsController({
      kubeConfig,
      logger: silentLogger,
      identity: 'gateway-test',
      dnsHost: '127.0.0.1',
      dnsPort: 0,
      admin: false,
      clusterDns: 'none',
      syncMinIntervalMs: 30,
      resyncIntervalMs: 1_000,
      leaseDurationMs: 1_000,
      leaseRenewDeadlineMs: 800,
      leaseRetryPeriodMs: 100,
      crdProbeIntervalMs: 200,
    });
    this.#closers.push(() => this.controller.stop());
    this.proxy = await startNodeProxy({
      kubeConfig,
      logger: silentLogger,
      nodeName: 'node-a',
      listenHost: '127.0.0.1',
      adminHost: '127.0.0.1',
      adminPort: 0,
      proxy: { bindPort: () => 0, random: seededRandom(17), drainMs: 200 },
      syncMinIntervalMs: 20,
      informerBackoff: () => 50,
      crdProbeIntervalMs: 200,
    });
    this.#closers.push(() => this.proxy.stop());
    await this.proxy.synced;
  }

  async stop(): Promise<void> {
    for (const close of this.#closers.splice(0).reverse()) await close().catch(() => undefined);
  }

  /** `kubectl --server <api> ARGS`, with `input` on stdin; resolves to stdout. */
  kubectl(args: readonly string[], input?: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const child = execFile(
        'kubectl',
        ['--server', this.api.url, ...args],
        { timeout: 20_000, maxBuffer: 8 * 1024 * 1024 },
        (error, stdout, stderr) =>
          error === null
            ? resolve(stdout)
            : reject(new Error(`kubectl ${args.join(' ')}: ${stderr || error.message}`)),
      );
      child.stdin?.end(input ?? '');
    });
  }

  /**
   * Applies manifests with `kubectl apply -f -`, sent as a stream of JSON objects: kubectl
   * reads YAML 1.1, where an unquoted `yes` is a boolean.
   */
  apply(...objects: Json[]): Promise<string> {
    return this.kubectl(['apply', '-f', '-'], objects.map((o) => JSON.stringify(o)).join('\n'));
  }

  async getJson(args: readonly string[]): Promise<Json> {
    return JSON.parse(await this.kubectl([...args, '-o', 'json'])) as Json;
  }

  async post(path: string, body: unknown): Promise<Json> {
    const res = await fetch(`${this.api.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const parsed = (await res.json()) as Json;
    if (res.status >= 300) throw new Error(`POST ${path}: HTTP ${res.status}: ${JSON.stringify(parsed)}`);
    return parsed;
  }

  pod(ns: string, name: string, ip: string, node: string, labels: Record<string, string>): Promise<Json> {
    return this.post(`/api/v1/namespaces/${ns}/pods`, {
      metadata: { name, labels },
      spec: { nodeName: node, containers: [{ name: 'app', image: 'app' }] },
      status: {
        phase: 'Running',
        podIP: ip,
        podIPs: [{ ip }],
        conditions: [{ type: 'Ready', status: 'True' }],
      },
    });
  }

  /** A Service selecting `app`, port 80 (named http) → `targetPort`. */
  service(
    ns: string,
    name: string,
    app: string,
    targetPort: number,
    annotations: Record<string, string> = {},
  ) {
    return this.post(`/api/v1/namespaces/${ns}/services`, {
      metadata: { name, annotations },
      spec: { selector: { app }, ports: [{ name: 'http', port: 80, protocol: 'TCP', targetPort }] },
    });
  }

  /** The proxy's bound port for HTTP entrypoint 5000 (the first port of every HTTP Service). */
  httpPort(): number {
    const port = this.proxy.proxy.boundPort('http', 5000);
    if (port === undefined) throw new Error('entrypoint 5000 is not listening');
    return port;
  }

  /** One HTTP/1.1 request to `host` from the caller pod of `from`. */
  request(
    host: string,
    path: string,
    options: {
      from?: CallerNamespace;
      method?: string;
      headers?: Record<string, string>;
      timeoutMs?: number;
    } = {},
  ): Promise<Answer> {
    return new Promise((resolve, reject) => {
      const req = httpRequest({
        host: '127.0.0.1',
        port: this.httpPort(),
        localAddress: CALLERS[options.from ?? 'shop'],
        method: options.method ?? 'GET',
        path,
        headers: { host, ...options.headers },
        agent: false,
        signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
      });
      req.on('error', reject);
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let echo: Answer['echo'];
          if (res.headers['x-backend'] !== undefined) {
            try {
              echo = JSON.parse(text) as Answer['echo'];
            } catch {
              echo = undefined;
            }
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, echo });
        });
      });
      req.end();
    });
  }

  /** A gRPC-shaped call (POST over h2c with prior knowledge) to `/<service>/<method>`; the backend's name. */
  grpcCall(host: string, path: string): Promise<{ status: number; backend: string | undefined }> {
    return new Promise((resolve, reject) => {
      const session = h2Connect(`http://${host}`, {
        createConnection: () =>
          netConnect({ host: '127.0.0.1', port: this.httpPort(), localAddress: CALLERS.shop }),
      });
      session.on('error', reject);
      const stream = session.request({
        ':method': 'POST',
        ':path': path,
        ':authority': host,
        'content-type': 'application/grpc',
      });
      stream.setTimeout(10_000, () => stream.close());
      let status = 0;
      let backend: string | undefined;
      stream.on('response', (headers) => {
        status = Number(headers[':status']);
        const b = headers['x-backend'];
        backend = typeof b === 'string' ? b : undefined;
      });
      stream.on('error', reject);
      stream.resume();
      stream.on('end', () => {
        session.close();
        resolve({ status, backend });
      });
      stream.end();
    });
  }

  /** The proxy port of the TCP Service `name` in shop. */
  tcpPort(name: string): number | undefined {
    for (const [port, route] of this.proxy.proxy.snapshot.tcp) {
      if (route.service.name === name) return this.proxy.proxy.boundPort('tcp', port);
    }
    return undefined;
  }

  /** Opens a connection to a TCP Service's proxy port and reads the backend's greeting. */
  tcpGreeting(port: number): Promise<string> {
    return new Promise((resolve, reject) => {
      const socket = netConnect({ host: '127.0.0.1', port, localAddress: CALLERS.shop });
      const chunks: Buffer[] = [];
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error('TCP: no greeting within 5 s'));
      }, 5_000);
      socket.on('data', (d: Buffer) => chunks.push(d));
      socket.on('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
      socket.on('close', () => {
        clearTimeout(timer);
        resolve(Buffer.concat(chunks).toString('utf8'));
      });
    });
  }

  async #httpBackend(name: string): Promise<number> {
    const server: Server = createHttpServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      const key = `${name} ${url.pathname}`;
      const calls = (this.calls.get(key) ?? 0) + 1;
      this.calls.set(key, calls);
      const answer = (status: number) => {
        res.writeHead(status, { 'content-type': 'application/json', 'x-backend': name });
        res.end(JSON.stringify({ backend: name, method: req.method, url: req.url, headers: req.headers }));
      };
      req.resume();
      req.on('end', () => {
        if (url.pathname === '/slow') setTimeout(() => answer(200), 1_500).unref();
        // The first two calls of a /flaky path fail (503), then it answers.
        else if (url.pathname.startsWith('/flaky') && calls <= 2) answer(503);
        else answer(200);
      });
    });
    return this.#listen(server);
  }

  async #h2Backend(name: string): Promise<number> {
    const server: Http2Server = createH2Server();
    server.on('stream', (stream) => {
      stream.respond(
        { ':status': 200, 'content-type': 'application/grpc', 'x-backend': name },
        { waitForTrailers: true },
      );
      stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
      stream.resume();
      stream.end();
    });
    return this.#listen(server);
  }

  async #tcpBackend(name: string): Promise<number> {
    const server: TcpServer = createTcpServer((socket) => {
      socket.on('error', () => socket.destroy());
      socket.end(`hello from ${name}`);
    });
    return this.#listen(server);
  }

  async #listen(server: Server | Http2Server | TcpServer): Promise<number> {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    this.#closers.push(
      () =>
        new Promise<void>((resolve) => {
          if ('closeAllConnections' in server) server.closeAllConnections();
          server.close(() => resolve());
          // The proxy's upstream pools may hold HTTP/2 sessions open: do not wait on them.
          setTimeout(resolve, 1_000).unref();
        }),
    );
    return (server.address() as AddressInfo).port;
  }
}

/** Polls `check` until it returns true (bounded). */
export async function waitFor(
  what: string,
  check: () => boolean | Promise<boolean>,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      if (await check()) return;
    } catch (error) {
      lastError = error;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`timed out waiting for ${what}${lastError === undefined ? '' : `: ${String(lastError)}`}`);
}
