/**
 * The caller side of issue 15 with real identities: the in-memory API server, the dns-controller (shadows and
 * the issuer) and two node-proxies. A pod on node A calls a Service whose pod runs on node B; node A's proxy
 * finds node B's node proxy from its pod, and opens the tunnel as the caller's ServiceAccount with the
 * certificate the issuer gave node A. Node B's tunnel server is started here (the destination's wiring is
 * another piece), presenting node B's node-proxy certificate and recording the verified caller.
 */
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { silentLogger } from '@nodemesh/kube-runtime';
import { type AuthoriseRequest, TunnelServer } from '@nodemesh/node-proxy';
import { LABEL_COMPONENT, NODE_PROXY_COMPONENT } from '@nodemesh/smi-types';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../deploy/test-api.js';
import { IdentityMesh, PROXY_ACCOUNT, TRUST_DOMAIN } from './support.js';

let mesh: IdentityMesh;
let tunnel: TunnelServer;
let backendPort: number;
const sources: string[] = [];
const closers: (() => Promise<void>)[] = [];

beforeAll(async () => {
  mesh = await IdentityMesh.start(3600);
  for (const node of ['node-a', 'node-b']) await mesh.node(node);
  const backend = createServer((req, res) => res.end(`orders on node-b: ${req.url}`));
  backend.listen(0, '127.0.0.1');
  await once(backend, 'listening');
  closers.push(() => new Promise((resolve) => backend.close(() => resolve())));
  backendPort = (backend.address() as AddressInfo).port;

  // Node B: its node proxy (holding the node proxies' certificate) and the tunnel server in its name.
  const nodeB = await mesh.startProxy('node-b', 'proxy-b');
  tunnel = new TunnelServer({
    trustDomain: TRUST_DOMAIN,
    secureContext: () => nodeB.identities?.secureContextFor('nodemesh', PROXY_ACCOUNT),
    authorise: ({ source }: AuthoriseRequest) => {
      sources.push(`${source.namespace}/${source.serviceAccount}`);
      return { kind: 'allowed' };
    },
    logger: silentLogger,
  });
  await tunnel.listen('127.0.0.1', 0);
  closers.push(() => tunnel.close(100));
  // Node B's node-proxy pod as the DaemonSet labels it: node A finds node B's tunnel by it.
  await mesh.api.create('/api/v1/namespaces/nodemesh/pods', {
    metadata: { name: 'node-proxy-b', labels: { [LABEL_COMPONENT]: NODE_PROXY_COMPONENT } },
    spec: {
      nodeName: 'node-b',
      serviceAccountName: PROXY_ACCOUNT,
      containers: [{ name: 'proxy', image: 'x' }],
    },
    status: { phase: 'Running', podIP: '127.0.0.1', podIPs: [{ ip: '127.0.0.1' }] },
  });

  // Node A: strict by default (the shadow names no mode yet), the tunnel port is node B's.
  await mesh.startProxy('node-a', 'proxy-a', PROXY_ACCOUNT, {
    mtlsMode: 'strict',
    tunnelPort: tunnel.boundPort() ?? 0,
  });
  // The orders Service, its pod on node B (EndpointSlice nodeName), and a caller pod on node A.
  await mesh.api.service('shop', 'orders');
  await mesh.api.create('/apis/discovery.k8s.io/v1/namespaces/shop/endpointslices', {
    metadata: { name: 'orders-1', labels: { 'kubernetes.io/service-name': 'orders' } },
    addressType: 'IPv4',
    ports: [{ name: 'http', port: backendPort, protocol: 'TCP' }],
    endpoints: [{ addresses: ['127.0.0.1'], nodeName: 'node-b', conditions: { ready: true } }],
  });
}, 60_000);

afterAll(async () => {
  for (const close of closers.reverse()) await close().catch(() => undefined);
  await mesh?.stop();
});

const proxyA = () => {
  const running = mesh.proxies.get('node-a');
  if (running === undefined) throw new Error('no proxy on node-a');
  return running;
};

async function call(): Promise<{ status: number; text: string; error: string | undefined }> {
  const port = proxyA().proxy.boundPort('http', 5000) ?? 0;
  const res = await request(`http://127.0.0.1:${port}/checkout`, { headers: { host: 'orders.shop.mesh' } });
  const error = res.headers['x-nodemesh-error'];
  return {
    status: res.statusCode,
    text: await res.body.text(),
    error: typeof error === 'string' ? error : undefined,
  };
}

describe('a call from node A to a pod on node B (strict)', () => {
  it('goes through node B’s tunnel as the caller pod’s ServiceAccount, with the certificate node A holds', async () => {
    // The caller pod: 127.0.0.1 on node A, running as web (the newest pod at that address).
    await mesh.pod('shop', 'web-1', 'web', 'node-a');
    await waitFor(
      'node A to hold web’s certificate',
      () => proxyA().identities?.secureContextFor('shop', 'web') !== undefined,
      15_000,
    );
    await waitFor('the call to go through', async () => (await call()).status === 200, 15_000);
    expect((await call()).text).toBe('orders on node-b: /checkout');
    // Node B's tunnel server verified the caller's own ServiceAccount certificate.
    expect(sources.at(-1)).toBe('shop/web');
    expect(tunnel.counts.streamsAccepted).toBeGreaterThan(0);
    const text = await proxyA().proxy.metrics.registry.metrics();
    expect(text).toMatch(
      /nodemesh_mesh_calls_total\{destination_namespace="shop",destination_service="orders",transport="mtls"\} [1-9]/,
    );
  }, 60_000);

  it('with --workers 2: every worker tunnels as the caller, with the identities and node proxies its primary sent', async () => {
    await mesh.node('node-c');
    // Workers bind the real ports: a loopback address of their own.
    const host = `127.${10 + Math.floor(Math.random() * 200)}.${Math.floor(Math.random() * 250)}.2`;
    const fleet = await mesh.startFleet('node-c', 'proxy-c', 2, {
      listenHost: host,
      mtlsMode: 'strict',
      tunnelPort: tunnel.boundPort() ?? 0,
    });
    try {
      await mesh.pod('shop', 'web-c', 'web', 'node-c');
      await waitFor(
        'node C to hold web’s certificate',
        () => fleet.identities?.secureContextFor('shop', 'web') !== undefined,
        15_000,
      );
      // Calls from the caller pod's address, 127.0.0.1.
      const fromWeb = new Agent({ connect: { localAddress: '127.0.0.1' } });
      closers.push(() => fromWeb.close());
      const before = sources.length;
      const statuses: number[] = [];
      await waitFor(
        'the workers to route',
        async () => {
          const res = await request(`http://${host}:5000/checkout`, {
            headers: { host: 'orders.shop.mesh' },
            dispatcher: fromWeb,
          });
          await res.body.text();
          return res.statusCode === 200;
        },
        20_000,
      );
      for (let i = 0; i < 20; i++) {
        const res = await request(`http://${host}:5000/checkout`, {
          headers: { host: 'orders.shop.mesh', connection: 'close' },
          dispatcher: fromWeb,
        });
        await res.body.text();
        statuses.push(res.statusCode);
      }
      expect(statuses.filter((s) => s !== 200)).toEqual([]);
      expect(sources.slice(before).every((s) => s === 'shop/web')).toBe(true);
      expect(sources.length).toBeGreaterThan(before);
    } finally {
      await fleet.stop();
      mesh.fleets.delete('node-c');
    }
  }, 60_000);

  it('fails with 503 NM_MTLS_UNAVAILABLE when node A no longer knows where node B’s node proxy is', async () => {
    await mesh.deletePod('nodemesh', 'node-proxy-b');
    await waitFor(
      'node A to forget node B’s proxy',
      () => proxyA().proxy.nodeProxies.addressOf('node-b') === undefined,
    );
    expect(await call()).toMatchObject({ status: 503, error: 'NM_MTLS_UNAVAILABLE' });
  });
});
