/**
 * The caller side of mTLS for HTTP and h2c, on real sockets: a call from a pod on node A to a pod on node B
 * goes through node B's tunnel server as the caller's ServiceAccount, and the wire between the nodes (a
 * counting relay) carries TLS and none of the call's bytes; strict, permissive and off; a destination's deny;
 * a pod on node A stays local. Node B's server is started here with its own `authorise`.
 */
import type { MtlsMode } from '@nodemesh/smi-types';
import { request } from 'undici';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { EndpointInput, MeshServiceInput } from '../../src/index.js';
import { meshService, readyEndpoints, topologyInputs } from '../fixtures.js';
import { h2cBackend, httpBackend, Resources } from '../support.js';
import { fallbacks, meshCalls, metricValue, type TwoNodes, twoNodes } from './two-nodes.js';

const MARKER = 'payload-that-must-not-cross-in-plaintext';

let resources: Resources;
let nodes: TwoNodes;
let entry: number;

const onNode = (nodeName: string, endpoints: EndpointInput[]) => endpoints.map((e) => ({ ...e, nodeName }));

/** `shop/<name>` on HTTP entrypoint 5000 + i, with `mtlsMode`. */
const service = (name: string, i: number, mtlsMode: MtlsMode, scheme: 'http' | 'h2c' = 'http') => ({
  ...meshService('shop', name, [{ port: 8080, targetPort: 5000 + i }], { scheme }),
  mtlsMode,
});

beforeEach(async () => {
  resources = new Resources();
  // The pods first, so they close after the proxies (an h2c server waits for its sessions to end).
  const backend = await httpBackend(resources, 'orders');
  const grpc = await h2cBackend(resources, 'grpc');
  nodes = await twoNodes(resources);
  const pod = (port: number) => readyEndpoints([{ address: '127.0.0.1', port }]);
  const services: MeshServiceInput[] = [
    service('strict', 0, 'strict'),
    service('permissive', 1, 'permissive'),
    service('off', 2, 'off'),
    service('local', 3, 'strict'),
    service('grpc', 4, 'strict', 'h2c'),
    service('unreachable', 5, 'permissive'),
    service('unreachable-strict', 6, 'strict'),
    service('nowhere', 7, 'strict'),
  ];
  await nodes.proxy.applyInputs(
    topologyInputs({
      services,
      endpoints: {
        'shop/strict': onNode('node-b', pod(backend.port)),
        'shop/permissive': onNode('node-b', pod(backend.port)),
        'shop/off': onNode('node-b', pod(backend.port)),
        'shop/local': onNode('node-a', pod(backend.port)),
        'shop/grpc': onNode('node-b', pod(grpc)),
        'shop/unreachable': onNode('node-c', pod(backend.port)),
        'shop/unreachable-strict': onNode('node-c', pod(backend.port)),
        'shop/nowhere': onNode('node-z', pod(backend.port)),
      },
    }),
  );
  entry = 0;
});

afterEach(async () => {
  await resources.closeAll();
});

async function call(name: string, path = `/${MARKER}`) {
  const i = [
    'strict',
    'permissive',
    'off',
    'local',
    'grpc',
    'unreachable',
    'unreachable-strict',
    'nowhere',
  ].indexOf(name);
  entry = nodes.proxy.boundPort('http', 5000 + i) ?? 0;
  const res = await request(`http://127.0.0.1:${entry}${path}`, {
    method: 'POST',
    headers: { host: `${name}.shop.mesh` },
    body: `${MARKER} in the body`,
  });
  return { status: res.statusCode, headers: res.headers, text: await res.body.text() };
}

describe('a call to a pod on another node', () => {
  it('goes through that node’s tunnel server as the caller, and the wire carries TLS only', async () => {
    for (let n = 0; n < 3; n++) {
      const res = await call('strict');
      expect(res.status).toBe(200);
      expect(JSON.parse(res.text)).toMatchObject({ backend: 'orders', url: `/${MARKER}` });
    }
    // One TLS connection between the nodes, one tunnel stream (keep-alive), three requests.
    expect(nodes.relay.connections).toBe(1);
    expect(nodes.server.counts.streamsAccepted).toBe(1);
    const toB = Buffer.concat(nodes.relay.toB);
    expect(toB[0]).toBe(0x16); // a TLS handshake record
    expect(nodes.relay.wire().includes(MARKER)).toBe(false);
    expect(nodes.relay.wire().includes('orders')).toBe(false);
    expect(await metricValue(nodes.proxy, meshCalls('strict', 'mtls'))).toBe(3);
    expect(await metricValue(nodes.proxy, meshCalls('strict', 'plaintext'))).toBe(0);
  });

  it('speaks h2c (gRPC) to the pod through the tunnel too', async () => {
    const res = await call('grpc', '/pkg.Svc/Call');
    expect(res.status).toBe(200);
    expect(JSON.parse(res.text)).toMatchObject({ backend: 'grpc', httpVersion: '2.0' });
    expect(nodes.server.counts.streamsAccepted).toBe(1);
    expect(nodes.relay.wire().includes(MARKER)).toBe(false);
    expect(await metricValue(nodes.proxy, meshCalls('grpc', 'mtls'))).toBe(1);
  });

  it('is refused with 403 when the destination’s node proxy denies the caller’s identity', async () => {
    nodes.callAs('intruder');
    for (const name of ['strict', 'permissive']) {
      const res = await call(name);
      expect(res.status).toBe(403);
      expect(res.headers['x-nodemesh-error']).toBe('NM_DENIED_AT_DESTINATION');
    }
    // A deny is an answer: permissive does not fall back to plaintext for it.
    expect(await metricValue(nodes.proxy, meshCalls('permissive', 'plaintext'))).toBe(0);
  });
});

describe('strict', () => {
  it('fails a call whose caller has no certificate with 503 NM_MTLS_UNAVAILABLE, before any byte leaves', async () => {
    nodes.callAs('nocert');
    const res = await call('strict');
    expect(res.status).toBe(503);
    expect(res.headers['x-nodemesh-error']).toBe('NM_MTLS_UNAVAILABLE');
    expect(res.text).toContain('no certificate');
    expect(nodes.relay.connections).toBe(0);
    expect(
      await metricValue(
        nodes.proxy,
        'nodemesh_http_proxy_errors_total{destination_namespace="shop",destination_service="strict",error_kind="mtls_unavailable"}',
      ),
    ).toBe(1);
  });

  it('fails a call from a source that is no pod of this node, and one to a node with no known node proxy', async () => {
    nodes.callAs(undefined);
    const unknown = await call('strict');
    expect(unknown.status).toBe(503);
    expect(unknown.text).toContain('unknown caller');
    nodes.callAs('web');
    const nowhere = await call('nowhere');
    expect(nowhere.status).toBe(503);
    expect(nowhere.text).toContain('no node proxy');
    const unreachable = await call('unreachable-strict');
    expect(unreachable.status).toBe(502);
    expect(unreachable.headers['x-nodemesh-error']).toBe('NM_TUNNEL_FAILED');
  });
});

describe('permissive', () => {
  it('falls back to plaintext straight to the pod when the caller has no certificate, and counts it', async () => {
    nodes.callAs('nocert');
    const res = await call('permissive');
    expect(res.status).toBe(200);
    expect(nodes.relay.connections).toBe(0);
    expect(await metricValue(nodes.proxy, meshCalls('permissive', 'plaintext'))).toBe(1);
    expect(await metricValue(nodes.proxy, fallbacks('permissive', 'no_certificate'))).toBe(1);
  });

  it('falls back, before sending, when the tunnel to the node cannot be brought up, requests with bodies too', async () => {
    nodes.callAs('web');
    const port = nodes.proxy.boundPort('http', 5005) ?? 0;
    const first = await request(`http://127.0.0.1:${port}/first`, {
      headers: { host: 'unreachable.shop.mesh' },
    });
    expect(first.statusCode).toBe(200);
    await first.body.text();
    const second = await call('unreachable');
    expect(second.status).toBe(200);
    expect(await metricValue(nodes.proxy, meshCalls('unreachable', 'plaintext'))).toBe(2);
    expect(await metricValue(nodes.proxy, meshCalls('unreachable', 'mtls'))).toBe(0);
    expect(await metricValue(nodes.proxy, fallbacks('unreachable', 'tunnel_failed'))).toBe(2);
  });
});

describe('off, and pods on this node', () => {
  it('sends off in plaintext and a same-node pod locally, neither through the tunnel', async () => {
    expect((await call('off')).status).toBe(200);
    expect((await call('local')).status).toBe(200);
    expect(nodes.relay.connections).toBe(0);
    expect(await metricValue(nodes.proxy, meshCalls('off', 'plaintext'))).toBe(1);
    expect(await metricValue(nodes.proxy, meshCalls('local', 'local'))).toBe(1);
    expect(await metricValue(nodes.proxy, fallbacks('off', 'no_tunnel'))).toBe(0);
  });
});
