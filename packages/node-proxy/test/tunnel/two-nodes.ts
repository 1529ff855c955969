/**
 * Two nodes on loopback for the caller side of the tunnel: node A's NodeProxy (its caller pods on 127.0.0.1,
 * each with a certificate or not), node B's TunnelServer (as the destination's node proxy would run it), and
 * between them a counting TCP relay standing for the wire between the nodes: it records every byte either way,
 * so a test can tell TLS from plaintext. Pods "on node B" listen on 127.0.0.1 too; the EndpointSlice's
 * nodeName is what places them.
 */
import { once } from 'node:events';
import { type AddressInfo, connect, createServer, type Server, type Socket } from 'node:net';
import type { SecureContext } from 'node:tls';
import { silentLogger } from '@nodemesh/kube-runtime';
import {
  type Authorise,
  type Caller,
  type NodeProxy,
  type NodeProxyOptions,
  staticCallers,
  TunnelServer,
} from '../../src/index.js';
import { type Resources, startProxy } from '../support.js';
import { type TestCa, testCa } from './test-ca.js';

export const TRUST_DOMAIN = 'cluster.local';
export const NODE_PROXY = {
  trustDomain: TRUST_DOMAIN,
  namespace: 'nodemesh',
  serviceAccount: 'nodemesh-node-proxy',
};
const spiffe = (namespace: string, serviceAccount: string) =>
  `spiffe://${TRUST_DOMAIN}/ns/${namespace}/sa/${serviceAccount}`;

/** A TCP relay that counts and keeps every byte it carries. */
export class WireRelay {
  /** Bytes from node A to node B, and back. */
  readonly toB: Buffer[] = [];
  readonly toA: Buffer[] = [];
  connections = 0;
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();

  constructor(target: () => number) {
    this.#server = createServer((a) => {
      this.connections++;
      const b = connect({ host: '127.0.0.1', port: target() });
      for (const s of [a, b]) {
        this.#sockets.add(s);
        s.on('close', () => this.#sockets.delete(s));
        s.on('error', () => {
          a.destroy();
          b.destroy();
        });
      }
      a.on('data', (chunk: Buffer) => {
        this.toB.push(chunk);
        b.write(chunk);
      });
      b.on('data', (chunk: Buffer) => {
        this.toA.push(chunk);
        a.write(chunk);
      });
      a.on('end', () => b.end());
      b.on('end', () => a.end());
    });
  }

  async listen(): Promise<number> {
    this.#server.listen(0, '127.0.0.1');
    await once(this.#server, 'listening');
    return (this.#server.address() as AddressInfo).port;
  }

  /** Everything that crossed, both ways. */
  wire(): Buffer {
    return Buffer.concat([...this.toB, ...this.toA]);
  }

  async close(): Promise<void> {
    for (const s of this.#sockets) s.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}

export interface TwoNodes {
  readonly ca: TestCa;
  readonly proxy: NodeProxy;
  readonly server: TunnelServer;
  readonly relay: WireRelay;
  /** The ServiceAccounts of node A's pods that hold a certificate. */
  readonly contexts: Map<string, SecureContext>;
  /** Makes 127.0.0.1 the pod of `serviceAccount` in `shop` (the caller of the next calls); undefined: no pod. */
  callAs(serviceAccount: string | undefined): void;
}

let sharedCa: Promise<TestCa> | undefined;

/**
 * Node A's proxy (node `node-a`, tunnel port = the relay's), node B's tunnel server behind the relay, the
 * directory saying node B's node proxy is at 127.0.0.1. Callers `shop/web` and `shop/intruder` hold
 * certificates; `shop/nocert` does not. Node B's server admits only `shop/web`.
 */
export async function twoNodes(
  resources: Resources,
  options: { readonly authorise?: Authorise; readonly proxy?: NodeProxyOptions } = {},
): Promise<TwoNodes> {
  sharedCa ??= testCa('two-nodes');
  const ca = await sharedCa;
  const contexts = new Map<string, SecureContext>([
    ['shop/web', await ca.context(spiffe('shop', 'web'))],
    ['shop/intruder', await ca.context(spiffe('shop', 'intruder'))],
  ]);
  const serverContext = await ca.context(spiffe(NODE_PROXY.namespace, NODE_PROXY.serviceAccount));
  const authorise: Authorise =
    options.authorise ??
    (({ source }) =>
      source.namespace === 'shop' && source.serviceAccount === 'web'
        ? { kind: 'allowed' }
        : { kind: 'denied-by-policy', detail: 'only shop/web' });
  const server = new TunnelServer({
    trustDomain: TRUST_DOMAIN,
    secureContext: () => serverContext,
    authorise,
    logger: silentLogger,
  });
  await server.listen('127.0.0.1', 0);
  resources.add(server, (s) => s.close(100));
  const relay = new WireRelay(() => server.boundPort() ?? 0);
  const relayPort = await relay.listen();
  resources.add(relay, (r) => r.close());

  const byIp = new Map<string, Caller>();
  const callAs = (serviceAccount: string | undefined) => {
    if (serviceAccount === undefined) byIp.delete('127.0.0.1');
    else byIp.set('127.0.0.1', { namespace: 'shop', workload: serviceAccount, serviceAccount });
  };
  callAs('web');
  const proxy = await startProxy(resources, {
    callers: staticCallers(byIp),
    mtls: { nodeName: 'node-a', tunnelPort: relayPort, serverIdentity: NODE_PROXY, failureHoldMs: 60_000 },
    ...options.proxy,
  });
  proxy.useIdentities({ secureContextFor: (ns, sa) => contexts.get(`${ns}/${sa}`) });
  proxy.nodeProxies.set('nodemesh/node-proxy-b', {
    key: 'nodemesh/node-proxy-b',
    nodeName: 'node-b',
    address: '127.0.0.1',
  });
  // Node C's node proxy is known, but nothing listens at its address: its tunnel cannot connect.
  proxy.nodeProxies.set('nodemesh/node-proxy-c', {
    key: 'nodemesh/node-proxy-c',
    nodeName: 'node-c',
    address: '127.0.0.3',
  });
  return { ca, proxy, server, relay, contexts, callAs };
}

/** The value of one series of the proxy's metrics (0 when absent). */
export async function metricValue(proxy: NodeProxy, series: string): Promise<number> {
  const text = await proxy.metrics.registry.metrics();
  for (const line of text.split('\n')) {
    if (line.startsWith(`${series} `)) return Number(line.slice(series.length + 1));
  }
  return 0;
}

export const meshCalls = (service: string, transport: string) =>
  `nodemesh_mesh_calls_total{destination_namespace="shop",destination_service="${service}",transport="${transport}"}`;

export const fallbacks = (service: string, reason: string) =>
  `nodemesh_mtls_fallbacks_total{destination_namespace="shop",destination_service="${service}",reason="${reason}"}`;
