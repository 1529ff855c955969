/**
 * Issue 15, "the destination decides", on real sockets: node-proxies started in this process against the
 * in-memory API server, with workload identity from the dns-controller's issuer. node-b's proxy serves the
 * tunnel port with access control on; a TunnelClient presenting certificates node-a's proxy holds opens
 * streams to a pod of node-b served on loopback. Refused, with the reason logged and counted: no
 * certificate, a certificate of another mesh's CA, a ServiceAccount no TrafficTarget admits, a pod of another
 * node, a port of the pod that is no endpoint of a meshed Service.
 */
import { once } from 'node:events';
import { createServer, type Server } from 'node:net';
import { connect as connectTls } from 'node:tls';
import type { LogFields, Logger } from '@nodemesh/kube-runtime';
import {
  type TunnelCaller as Caller,
  TUNNEL_SERVER_NAME,
  TunnelClient,
  TunnelError,
} from '@nodemesh/node-proxy';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../deploy/test-api.js';
import { freePort, IdentityMesh, PROXY_ACCOUNT, TRUST_DOMAIN } from './support.js';

const ORDERS_B = '127.0.41.2';
const ORDERS_A = '127.0.41.4';
const WEB: Caller = { namespace: 'shop', serviceAccount: 'web' };
const CRAWLER: Caller = { namespace: 'shop', serviceAccount: 'crawler' };
const SERVER_IDENTITY = { trustDomain: TRUST_DOMAIN, namespace: 'nodemesh', serviceAccount: PROXY_ACCOUNT };

/** Warnings as they are logged, for the test to read. */
class Lines implements Logger {
  constructor(
    readonly lines: { message: string; fields: LogFields }[] = [],
    private readonly bound: LogFields = {},
  ) {}
  debug(): void {}
  info(): void {}
  warn(message: string, fields: LogFields = {}): void {
    this.lines.push({ message, fields: { ...this.bound, ...fields } });
  }
  error(message: string, fields: LogFields = {}): void {
    this.warn(message, fields);
  }
  child(fields: LogFields): Logger {
    return new Lines(this.lines, { ...this.bound, ...fields });
  }
  find(reason: string) {
    return this.lines.find((l) => l.fields.reason === reason);
  }
}

let mesh: IdentityMesh;
/** Another mesh with a CA of its own, where `shop/web` also has a certificate. */
let other: IdentityMesh;
let backend: Server;
let tunnelPort: number;
const log = new Lines();
const node = () => ({ address: '127.0.0.1', port: tunnelPort });

async function pod(m: IdentityMesh, name: string, account: string, on: string, ip: string, app = name) {
  await m.account('shop', account).catch(() => undefined);
  await m.api.create('/api/v1/namespaces/shop/pods', {
    metadata: { name, labels: { app } },
    spec: { nodeName: on, serviceAccountName: account, containers: [{ name: 'app', image: 'app' }] },
    status: {
      phase: 'Running',
      podIP: ip,
      podIPs: [{ ip }],
      conditions: [{ type: 'Ready', status: 'True' }],
    },
  });
}

const proxyOf = (m: IdentityMesh, name: string) => {
  const running = m.proxies.get(name);
  if (running === undefined) throw new Error(`no proxy on ${name}`);
  return running;
};
const metricsB = () => proxyOf(mesh, 'node-b').proxy.metrics.registry.metrics();
const clientOf = (m: IdentityMesh, on: string) =>
  new TunnelClient({
    serverIdentity: SERVER_IDENTITY,
    secureContextFor: (ns, sa) => proxyOf(m, on).identities?.secureContextFor(ns, sa),
    connectTimeoutMs: 3_000,
  });

/** Writes `ping` through a stream and reads what the pod answers. */
async function roundTrip(
  client: TunnelClient,
  caller: Caller,
  podIP: string,
  port = 8080,
  to: { address: string; port: number } = node(),
): Promise<string> {
  const stream = await client.open(caller, to, { podIP, port });
  stream.end('ping');
  let answer = '';
  stream.on('data', (chunk: Buffer) => {
    answer += chunk.toString();
  });
  await once(stream, 'end');
  return answer;
}

async function refusal(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'served';
  } catch (error) {
    if (!(error instanceof TunnelError)) throw error;
    return error.kind === 'refused' ? `refused: ${error.refusal}` : error.kind;
  }
}

beforeAll(async () => {
  mesh = await IdentityMesh.start(3600);
  await mesh.api.installSmiCrds();
  for (const name of ['node-a', 'node-b']) await mesh.node(name);
  await pod(mesh, 'web-1', 'web', 'node-a', '127.0.41.1');
  await pod(mesh, 'crawler-1', 'crawler', 'node-a', '127.0.41.3');
  await pod(mesh, 'orders-1', 'orders', 'node-b', ORDERS_B, 'orders');
  await pod(mesh, 'orders-2', 'orders', 'node-a', ORDERS_A, 'orders');
  await mesh.api.service('shop', 'orders');
  await mesh.api.create('/apis/specs.smi-spec.io/v1alpha4/namespaces/shop/httproutegroups', {
    apiVersion: 'specs.smi-spec.io/v1alpha4',
    kind: 'HTTPRouteGroup',
    metadata: { name: 'all' },
    spec: { matches: [{ name: 'any', pathRegex: '.*', methods: ['*'] }] },
  });
  await mesh.api.create('/apis/access.smi-spec.io/v1alpha3/namespaces/shop/traffictargets', {
    apiVersion: 'access.smi-spec.io/v1alpha3',
    kind: 'TrafficTarget',
    metadata: { name: 'orders-from-web' },
    spec: {
      destination: { kind: 'ServiceAccount', name: 'orders', namespace: 'shop' },
      sources: [{ kind: 'ServiceAccount', name: 'web', namespace: 'shop' }],
      rules: [{ kind: 'HTTPRouteGroup', name: 'all' }],
    },
  });
  backend = createServer((socket) => {
    socket.on('error', () => undefined);
    socket.once('data', () => socket.end('pong from orders-1'));
  });
  await new Promise<void>((resolve) => backend.listen(8080, ORDERS_B, resolve));
  tunnelPort = await freePort();
  await mesh.startProxy('node-a', 'proxy-a');
  await mesh.startProxy('node-b', 'proxy-b', PROXY_ACCOUNT, { tunnelPort, accessControl: true, logger: log });

  other = await IdentityMesh.start(3600);
  await other.node('node-x');
  await pod(other, 'web-1', 'web', 'node-x', '127.0.41.9');
  await other.startProxy('node-x', 'proxy-x');

  await waitFor('node-a holds shop/web and shop/crawler', () =>
    ['shop/crawler', 'shop/web'].every((a) => mesh.held('node-a').includes(a)),
  );
  await waitFor('node-b holds its own tunnel certificate', () =>
    mesh.held('node-b').includes(`nodemesh/${PROXY_ACCOUNT}`),
  );
  await waitFor('the other mesh holds shop/web', () => other.held('node-x').includes('shop/web'));
  await waitFor('node-b routes to orders-1', () =>
    [...proxyOf(mesh, 'node-b').proxy.snapshot.http.values()].some((e) =>
      [...e.hosts.values()].some((r) => r.root.endpoints.some((p) => p.address === ORDERS_B)),
    ),
  );
}, 60_000);

afterAll(async () => {
  await Promise.all([mesh?.stop(), other?.stop()]);
  await new Promise((resolve) => backend?.close(resolve));
});

describe('the destination decides', () => {
  it('serves an admitted ServiceAccount, presenting the node proxies’ own identity, counted by identity', async () => {
    const client = clientOf(mesh, 'node-a');
    try {
      expect(await roundTrip(client, WEB, ORDERS_B)).toBe('pong from orders-1');
    } finally {
      await client.close();
    }
    const text = await metricsB();
    expect(text).toContain(
      'nodemesh_tunnel_inbound_streams_total{source_identity="spiffe://cluster.local/ns/shop/sa/web",destination_identity="spiffe://cluster.local/ns/shop/sa/orders",outcome="accepted"} 1',
    );
    await waitFor('the bytes counted once the stream closed', async () =>
      (await metricsB()).includes(
        'nodemesh_tunnel_inbound_bytes_total{source_identity="spiffe://cluster.local/ns/shop/sa/web",destination_identity="spiffe://cluster.local/ns/shop/sa/orders",direction="from_pod"} 18',
      ),
    );
  });

  /** A TLS connection to node-b's tunnel port that trusts anything and presents `cert`, if any. */
  async function rawConnection(cert?: { keyPem: string; chainPem: string }): Promise<void> {
    const socket = connectTls({
      host: '127.0.0.1',
      port: tunnelPort,
      servername: TUNNEL_SERVER_NAME,
      ALPNProtocols: ['h2'],
      rejectUnauthorized: false,
      minVersion: 'TLSv1.3',
      ...(cert === undefined ? {} : { key: cert.keyPem, cert: cert.chainPem }),
    });
    socket.on('error', () => undefined);
    await once(socket, 'close');
  }

  it('refuses a connection with no client certificate, and says so', async () => {
    await rawConnection();
    await waitFor('counted', async () =>
      (await metricsB()).includes(
        'nodemesh_tunnel_inbound_connections_refused_total{reason="no_certificate"} 1',
      ),
    );
    expect(log.find('no-certificate')?.message).toBe('tunnel connection refused');
  });

  it('refuses a certificate of another CA, logging what it claimed to be', async () => {
    // A caller that trusts node-b's CA presents another mesh's certificate for the same name…
    const foreign = proxyOf(other, 'node-x').identities?.certificate('shop', 'web');
    if (foreign === undefined) throw new Error('the other mesh holds no certificate for shop/web');
    await rawConnection(foreign);
    await waitFor('counted', async () =>
      (await metricsB()).includes(
        'nodemesh_tunnel_inbound_connections_refused_total{reason="untrusted_certificate"} 1',
      ),
    );
    expect(log.find('untrusted-certificate')?.fields.claimed).toBe(
      'URI:spiffe://cluster.local/ns/shop/sa/web',
    );
    // …and a TunnelClient of that mesh does not even accept node-b's proxy as a peer.
    const client = clientOf(other, 'node-x');
    try {
      expect(await refusal(roundTrip(client, WEB, ORDERS_B))).toBe('connect-failed');
    } finally {
      await client.close();
    }
  });

  it('refuses a ServiceAccount no TrafficTarget admits, naming the verified source', async () => {
    const client = clientOf(mesh, 'node-a');
    try {
      expect(await refusal(roundTrip(client, CRAWLER, ORDERS_B))).toBe('refused: denied-by-policy');
    } finally {
      await client.close();
    }
    const line = log.find('denied-by-policy');
    expect(line?.fields.source).toBe('spiffe://cluster.local/ns/shop/sa/crawler');
    expect(String(line?.fields.detail)).toContain('to spiffe://cluster.local/ns/shop/sa/orders');
    expect(await metricsB()).toContain(
      'nodemesh_tunnel_inbound_streams_total{source_identity="spiffe://cluster.local/ns/shop/sa/crawler",destination_identity="spiffe://cluster.local/ns/shop/sa/orders",outcome="denied_by_policy"} 1',
    );
  });

  it('refuses a pod of another node, and a port of its own pod that no meshed Service names', async () => {
    const client = clientOf(mesh, 'node-a');
    try {
      expect(await refusal(roundTrip(client, WEB, ORDERS_A))).toBe('refused: not-on-this-node');
      expect(String(log.find('not-on-this-node')?.fields.detail)).toBe(
        `${ORDERS_A} is not a running pod of this node`,
      );
      expect(await refusal(roundTrip(client, WEB, ORDERS_B, 22))).toBe('refused: not-on-this-node');
    } finally {
      await client.close();
    }
  });

  it('closes an open stream once a new policy no longer admits it', async () => {
    const client = clientOf(mesh, 'node-a');
    try {
      const stream = await client.open(WEB, node(), { podIP: ORDERS_B, port: 8080 });
      stream.on('error', () => undefined);
      const closed = once(stream, 'close');
      await mesh.api.call(
        'DELETE',
        '/apis/access.smi-spec.io/v1alpha3/namespaces/shop/traffictargets/orders-from-web',
      );
      await closed;
      expect(await metricsB()).toContain('nodemesh_tunnel_inbound_streams_revoked_total 1');
      expect(await refusal(roundTrip(client, WEB, ORDERS_B))).toBe('refused: denied-by-policy');
    } finally {
      await client.close();
    }
  });
});

describe('readiness', () => {
  it('waits for the tunnel port like any listener, and says when it cannot be opened', async () => {
    expect(proxyOf(mesh, 'node-b').proxy.readiness()).toEqual({ ready: true, reason: '' });
    await mesh.node('node-d');
    // node-b's proxy already holds this port on 127.0.0.1.
    const blocked = await mesh.startProxy('node-d', 'proxy-d', PROXY_ACCOUNT, { tunnelPort });
    await blocked.synced;
    await waitFor('the failure reported', () => blocked.proxy.readiness().reason.includes('tunnel port'));
    expect(blocked.proxy.readiness().ready).toBe(false);
  });
});

describe('with --workers 2', () => {
  it('every worker serves the tunnel port with the identity its primary holds', async () => {
    const host = '127.0.41.100';
    const port = await freePort();
    await pod(mesh, 'orders-3', 'orders', 'node-c', '127.0.41.5', 'orders');
    const pong = createServer((socket) => {
      socket.on('error', () => undefined);
      socket.once('data', () => socket.end('pong from orders-3'));
    });
    await new Promise<void>((resolve) => pong.listen(8080, '127.0.41.5', resolve));
    await mesh.node('node-c');
    const fleet = await mesh.startFleet('node-c', 'proxy-c', 2, { listenHost: host, tunnelPort: port });
    const client = clientOf(mesh, 'node-a');
    const to = { address: host, port };
    try {
      await waitFor(
        'the workers serve the tunnel',
        async () => (await roundTrip(client, WEB, '127.0.41.5', 8080, to)) === 'pong from orders-3',
        20_000,
      );
      // Several sessions, so the connections spread over both workers; every one is served.
      const answers: string[] = [];
      for (let i = 0; i < 4; i++) {
        const fresh = clientOf(mesh, 'node-a');
        try {
          answers.push(await roundTrip(fresh, WEB, '127.0.41.5', 8080, to));
        } finally {
          await fresh.close();
        }
      }
      expect(answers).toEqual(Array(4).fill('pong from orders-3'));
      expect(await fleet.proxy.metricsText()).toMatch(
        /nodemesh_tunnel_inbound_streams_total\{source_identity="spiffe:\/\/cluster.local\/ns\/shop\/sa\/web",destination_identity="spiffe:\/\/cluster.local\/ns\/shop\/sa\/orders",outcome="accepted"\} [5-9]/,
      );
    } finally {
      await client.close();
      await new Promise((resolve) => pong.close(resolve));
    }
  }, 40_000);
});
