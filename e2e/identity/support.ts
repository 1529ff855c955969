/**
 * A small mesh for the identity tests, in this process on loopback: the in-memory API server, the
 * dns-controller with its identity role (the issuer on a fixed free port, so it can be stopped and started
 * again at the same address), and node-proxies for named nodes, each with its own pod-bound token file as a
 * projected volume would give it. Also mutual-TLS handshakes between two nodes' identities, and a real
 * Prometheus evaluating the shipped alert rules.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, createServer, type SecureContext, type Server, type TLSSocket } from 'node:tls';
import { type ApiServer, startApiServer } from '@nodemesh/apiserver';
import { DEFAULT_IDENTITY_SETTINGS, type DnsController, startDnsController } from '@nodemesh/dns-controller';
import { type Logger, loadKubeConfig, silentLogger } from '@nodemesh/kube-runtime';
import {
  type NodeProxyPrimary,
  peerIdentity,
  type RunningControlLoop,
  type RunningNodeProxy,
  type StartNodeProxyOptions,
  startNodeProxy,
  startNodeProxyFleet,
} from '@nodemesh/node-proxy';
import { IDENTITY_TOKEN_AUDIENCE, spiffeIdOf } from '@nodemesh/smi-types';
import { PROMETHEUS_DIR } from '../deploy/observability-files.js';
import { TestApi } from '../deploy/test-api.js';

export const TRUST_DOMAIN = 'cluster.local';
export const PROXY_ACCOUNT = 'nodemesh-node-proxy';

/** A free TCP port on loopback (bound, read, released). */
export async function freePort(): Promise<number> {
  const server = createNetServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

export class IdentityMesh {
  readonly proxies = new Map<string, RunningNodeProxy>();
  /** Node-proxies with `--workers N`, by node. */
  readonly fleets = new Map<string, RunningControlLoop<NodeProxyPrimary>>();
  controller: DnsController | undefined;

  private constructor(
    readonly server: ApiServer,
    readonly api: TestApi,
    readonly dir: string,
    readonly issuerPort: number,
    readonly ttlSeconds: number,
  ) {}

  static async start(ttlSeconds: number): Promise<IdentityMesh> {
    const server = await startApiServer();
    const mesh = new IdentityMesh(
      server,
      new TestApi(server.url),
      await mkdtemp(join(tmpdir(), 'nodemesh-identity-')),
      await freePort(),
      ttlSeconds,
    );
    for (const ns of ['nodemesh', 'shop']) await mesh.api.namespace(ns);
    await mesh.account('nodemesh', PROXY_ACCOUNT);
    await mesh.startIssuer();
    return mesh;
  }

  async account(namespace: string, name: string): Promise<void> {
    await this.api.create(`/api/v1/namespaces/${namespace}/serviceaccounts`, { metadata: { name } });
  }

  async node(name: string): Promise<void> {
    await this.api.create('/api/v1/nodes', { metadata: { name } });
  }

  /** A Running pod on `node` as `account`; the account is created if need be. */
  async pod(namespace: string, name: string, account: string, node: string): Promise<void> {
    await this.account(namespace, account).catch(() => undefined);
    await this.api.pod(namespace, name, name, node, account);
  }

  deletePod(namespace: string, name: string): Promise<unknown> {
    return this.api.call('DELETE', `/api/v1/namespaces/${namespace}/pods/${name}`);
  }

  /** A projected-volume-like token file for `pod` (running as `account` in nodemesh). */
  async tokenFile(pod: string, account = PROXY_ACCOUNT): Promise<string> {
    const answer = await this.api.create(`/api/v1/namespaces/nodemesh/serviceaccounts/${account}/token`, {
      spec: {
        audiences: [IDENTITY_TOKEN_AUDIENCE],
        expirationSeconds: 3600,
        boundObjectRef: { kind: 'Pod', name: pod },
      },
    });
    const file = join(this.dir, `${pod}.token`);
    await writeFile(file, (answer.status as { token: string }).token);
    return file;
  }

  async startIssuer(): Promise<DnsController> {
    this.controller = await startDnsController({
      kubeConfig: (await loadKubeConfig({ server: this.server.url })).config,
      logger: silentLogger,
      identity: `issuer-${Date.now()}`,
      dnsHost: '127.0.0.1',
      dnsPort: 0,
      adminHost: '127.0.0.1',
      adminPort: 0,
      clusterDns: 'none',
      syncMinIntervalMs: 50,
      resyncIntervalMs: 1_000,
      leaseDurationMs: 1_000,
      leaseRenewDeadlineMs: 800,
      leaseRetryPeriodMs: 100,
      identityRole: true,
      identitySettings: {
        ...DEFAULT_IDENTITY_SETTINGS,
        issuerHost: '127.0.0.1',
        issuerPort: this.issuerPort,
        certificateTtlSeconds: this.ttlSeconds,
      },
    });
    return this.controller;
  }

  async stopIssuer(): Promise<void> {
    await this.controller?.stop();
    this.controller = undefined;
  }

  /**
   * A node-proxy for `node` whose node-proxy pod is `pod` (created, Running, on that node); `extra`: its
   * tunnel port (mTLS between node proxies) and mode, access control, a logger to read.
   */
  async startProxy(
    node: string,
    pod: string,
    account = PROXY_ACCOUNT,
    extra: ProxyExtras = {},
  ): Promise<RunningNodeProxy> {
    const running = await startNodeProxy({
      ...(await this.#proxyOptions(node, pod, account)),
      ...proxyExtras(extra),
      proxy: { bindPort: () => 0, drainMs: 50 },
    });
    this.proxies.set(node, running);
    return running;
  }

  /** A node-proxy with `workers` worker processes (`--workers N`); the workers run the package's build. */
  async startFleet(
    node: string,
    pod: string,
    workers: number,
    extra: ProxyExtras = {},
  ): Promise<RunningControlLoop<NodeProxyPrimary>> {
    const running = await startNodeProxyFleet({
      ...(await this.#proxyOptions(node, pod, PROXY_ACCOUNT)),
      ...proxyExtras(extra),
      // Workers bind the real ports (no port mapping crosses the IPC): a loopback address of their own.
      listenHost:
        extra.listenHost ??
        `127.${10 + Math.floor(Math.random() * 200)}.${Math.floor(Math.random() * 250)}.1`,
      workers,
      logLevel: 'warn',
      worker: { drainMs: 50 },
      fleet: { restartBackoff: () => 50, stopTimeoutMs: 5_000 },
    });
    this.fleets.set(node, running);
    return running;
  }

  async #proxyOptions(node: string, pod: string, account: string) {
    await this.api.pod('nodemesh', pod, 'node-proxy', node, account);
    return {
      kubeConfig: (await loadKubeConfig({ server: this.server.url })).config,
      logger: silentLogger,
      nodeName: node,
      listenHost: '127.0.0.1',
      adminHost: '127.0.0.1',
      adminPort: 0,
      syncMinIntervalMs: 20,
      resyncIntervalMs: 1_000,
      informerBackoff: () => 100,
      crdProbeIntervalMs: 1_000,
      identity: {
        issuerUrl: `https://127.0.0.1:${this.issuerPort}`,
        tokenFile: await this.tokenFile(pod, account),
        trustDomain: TRUST_DOMAIN,
        retryInitialMs: 100,
        retryMaxMs: 500,
        rotationSpreadMs: 200,
      },
    };
  }

  /** The ServiceAccounts (`ns/name`) a node's proxy holds certificates for, sorted. */
  held(node: string): string[] {
    const held = this.proxies.get(node)?.identities?.held() ?? [];
    return held.map((c) => `${c.namespace}/${c.serviceAccount}`).sort();
  }

  async stop(): Promise<void> {
    await Promise.all([...this.proxies.values(), ...this.fleets.values()].map((p) => p.stop()));
    await this.stopIssuer();
    await this.server.stop();
    await rm(this.dir, { recursive: true, force: true });
  }
}

export interface ProxyExtras {
  /** Fleets only: the address the workers bind (default: a random loopback address). */
  readonly listenHost?: string;
  readonly tunnelPort?: number;
  /** The mode of a Service whose shadow names none (`--mtls-mode`). */
  readonly mtlsMode?: StartNodeProxyOptions['mtlsMode'];
  readonly accessControl?: boolean;
  readonly logger?: Logger;
}

function proxyExtras(extra: ProxyExtras) {
  return {
    ...(extra.tunnelPort === undefined ? {} : { tunnelPort: extra.tunnelPort }),
    ...(extra.mtlsMode === undefined ? {} : { mtlsMode: extra.mtlsMode }),
    ...(extra.accessControl === undefined ? {} : { policyFlags: { accessControl: extra.accessControl } }),
    ...(extra.logger === undefined ? {} : { logger: extra.logger }),
  };
}

export interface Side {
  readonly context: () => SecureContext | undefined;
  readonly spiffeId: string;
}

export const side = (mesh: IdentityMesh, node: string, namespace: string, serviceAccount: string): Side => ({
  context: () => mesh.proxies.get(node)?.identities?.secureContextFor(namespace, serviceAccount),
  spiffeId: spiffeIdOf({ trustDomain: TRUST_DOMAIN, namespace, serviceAccount }),
});

/**
 * A TLS 1.3 server that presents `server`'s identity (its current context, per connection) and demands a
 * client certificate; `handshake` connects as `client` and checks both SPIFFE IDs. The shape of issue 15's
 * tunnel between node proxies, with nothing else in it.
 */
export class MutualTls {
  private constructor(
    private readonly tls: Server,
    private readonly port: number,
    private readonly server: Side,
  ) {}

  static async start(server: Side): Promise<MutualTls> {
    const tls = createServer({
      minVersion: 'TLSv1.3',
      requestCert: true,
      rejectUnauthorized: true,
      SNICallback: (_name, done) => {
        const context = server.context();
        if (context === undefined) done(new Error('no identity held'), undefined);
        else done(null, context);
      },
    });
    tls.on('secureConnection', (socket: TLSSocket) => {
      socket.on('error', () => undefined);
      socket.end(peerIdentity(socket, TRUST_DOMAIN) === undefined ? 'no' : 'ok');
    });
    tls.on('tlsClientError', () => undefined);
    await new Promise<void>((resolve) => tls.listen(0, '127.0.0.1', resolve));
    const address = tls.address();
    if (address === null || typeof address === 'string') throw new Error('no port');
    return new MutualTls(tls, address.port, server);
  }

  /** One connection as `client`: resolves with what went wrong, or undefined when both sides were verified. */
  handshake(client: Side): Promise<string | undefined> {
    const context = client.context();
    if (context === undefined) return Promise.resolve(`the client holds no identity for ${client.spiffeId}`);
    return new Promise((resolve) => {
      const socket = connect({
        host: '127.0.0.1',
        port: this.port,
        servername: 'peer.mesh.test',
        secureContext: context,
        minVersion: 'TLSv1.3',
        checkServerIdentity: () => undefined,
      });
      const timer = setTimeout(() => socket.destroy(new Error('timed out')), 3_000);
      let answer = '';
      socket.on('secureConnect', () => {
        const peer = peerIdentity(socket, TRUST_DOMAIN);
        if (peer === undefined || spiffeIdOf(peer) !== this.server.spiffeId) {
          socket.destroy(new Error(`the server is ${peer === undefined ? 'nobody' : spiffeIdOf(peer)}`));
        }
      });
      socket.on('data', (chunk: Buffer) => {
        answer += chunk.toString();
      });
      socket.on('end', () => {
        clearTimeout(timer);
        resolve(
          answer === 'ok' ? undefined : `the server did not verify the client (${answer || 'nothing'})`,
        );
      });
      socket.on('error', (error) => {
        clearTimeout(timer);
        resolve(error.message);
      });
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.tls.close(() => resolve()));
  }
}

export interface LocalPrometheus {
  query(promql: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]>;
  stop(): Promise<void>;
}

export function findPrometheus(): string | undefined {
  return ['/usr/bin/prometheus', '/usr/sbin/prometheus', '/usr/local/bin/prometheus'].find((f) =>
    existsSync(f),
  );
}

/** Debian's prometheus on loopback, scraping node-proxy admin ports with the shipped rules loaded. */
export async function startPrometheus(
  dir: string,
  proxies: readonly { node: string; port: number }[],
): Promise<LocalPrometheus> {
  const binary = findPrometheus();
  if (binary === undefined) throw new Error('prometheus is not installed');
  const port = await freePort();
  const config = join(dir, 'prometheus.yml');
  await writeFile(
    config,
    [
      'global: { scrape_interval: 1s, evaluation_interval: 1s }',
      `rule_files: ['${join(PROMETHEUS_DIR, 'alerts.yaml')}']`,
      'scrape_configs:',
      '  - job_name: nodemesh-node-proxy',
      '    scrape_interval: 500ms',
      '    scrape_timeout: 500ms',
      '    static_configs:',
      ...proxies.flatMap((p) => [
        `      - targets: ['127.0.0.1:${p.port}']`,
        `        labels: { namespace: nodemesh, pod: 'node-proxy-${p.node}', node: '${p.node}' }`,
      ]),
      '',
    ].join('\n'),
  );
  const child: ChildProcess = spawn(
    binary,
    [
      `--config.file=${config}`,
      `--storage.tsdb.path=${join(dir, 'prometheus-data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
    ],
    { stdio: 'ignore' },
  );
  const query = async (promql: string) => {
    const res = await fetch(`http://127.0.0.1:${port}/api/v1/query?query=${encodeURIComponent(promql)}`);
    const body = (await res.json()) as {
      status: string;
      data?: { result?: { metric: Record<string, string>; value: [number, string] }[] };
    };
    if (body.status !== 'success') throw new Error(`query ${promql}: ${JSON.stringify(body)}`);
    return body.data?.result ?? [];
  };
  const deadline = Date.now() + 20_000;
  for (;;) {
    try {
      if ((await query('up')).length === proxies.length) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline || child.exitCode !== null) {
      child.kill();
      throw new Error('prometheus did not start scraping within 20 s');
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return {
    query,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
