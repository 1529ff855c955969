/**
 * The caller side of mTLS for TCP connections and WebSocket upgrades, on real sockets: a connection from a
 * pod on node A to a pod on node B rides a tunnel stream through node B's tunnel server, the wire between
 * the nodes (a counting relay) carries TLS only; strict without a certificate closes the connection (TCP) or
 * answers 503 (WebSocket) before a byte leaves; permissive falls back to plaintext and counts it.
 */
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connect } from 'node:net';
import type { MtlsMode } from '@nodemesh/smi-types';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import type { EndpointInput } from '../../src/index.js';
import { meshService, readyEndpoints, topologyInputs } from '../fixtures.js';
import { Resources, tcpEchoBackend } from '../support.js';
import { fallbacks, meshCalls, metricValue, type TwoNodes, twoNodes } from './two-nodes.js';

const MARKER = 'stream-bytes-that-must-not-cross-in-plaintext';

let resources: Resources;
let nodes: TwoNodes;

const onNodeB = (endpoints: EndpointInput[]) => endpoints.map((e) => ({ ...e, nodeName: 'node-b' }));

const tcpService = (name: string, targetPort: number, mtlsMode: MtlsMode) => ({
  ...meshService('shop', name, [{ port: 5432, targetPort }], { trafficType: 'tcp' }),
  mtlsMode,
});
const wsService = (name: string, targetPort: number, mtlsMode: MtlsMode) => ({
  ...meshService('shop', name, [{ port: 8080, targetPort }]),
  mtlsMode,
});

beforeEach(async () => {
  resources = new Resources();
  // The pods first, so they close after the proxies.
  const echo = await tcpEchoBackend(resources);
  const http = createServer((_req, res) => res.end('not a websocket'));
  const wss = new WebSocketServer({ server: http });
  wss.on('connection', (ws) => ws.on('message', (data) => ws.send(`echo ${String(data)}`)));
  http.listen(0, '127.0.0.1');
  await once(http, 'listening');
  resources.add(http, (s) => new Promise<void>((resolve) => s.close(() => resolve())));
  resources.add(wss, (w) => new Promise<void>((resolve) => w.close(() => resolve())));
  const wsPort = (http.address() as AddressInfo).port;
  nodes = await twoNodes(resources);
  const pod = (port: number) => onNodeB(readyEndpoints([{ address: '127.0.0.1', port }]));
  await nodes.proxy.applyInputs(
    topologyInputs({
      services: [
        tcpService('db-strict', 10000, 'strict'),
        tcpService('db-permissive', 10001, 'permissive'),
        wsService('ws-strict', 5000, 'strict'),
        wsService('ws-unreachable', 5001, 'permissive'),
      ],
      endpoints: {
        'shop/db-strict': pod(echo),
        'shop/db-permissive': pod(echo),
        'shop/ws-strict': pod(wsPort),
        // Node C's node proxy is known but does not answer.
        'shop/ws-unreachable': pod(wsPort).map((e) => ({ ...e, nodeName: 'node-c' })),
      },
    }),
  );
});

afterEach(async () => {
  await resources.closeAll();
});

/** Connects to a TCP listener, sends `text`, half-closes, and reads until the proxy closes. */
async function tcpCall(logicalPort: number, text: string): Promise<string> {
  const socket = connect({ host: '127.0.0.1', port: nodes.proxy.boundPort('tcp', logicalPort) ?? 0 });
  resources.add(socket, async (s) => {
    s.destroy();
  });
  let received = '';
  socket.on('data', (chunk: Buffer) => {
    received += String(chunk);
  });
  socket.on('error', () => undefined);
  socket.end(text);
  await once(socket, 'close');
  return received;
}

describe('TCP to a pod on another node', () => {
  it('rides a tunnel stream, passes half-closes on, and the wire carries TLS only', async () => {
    expect(await tcpCall(10000, MARKER)).toBe(`${MARKER}bye`);
    expect(nodes.server.counts.streamsAccepted).toBe(1);
    expect(Buffer.concat(nodes.relay.toB)[0]).toBe(0x16);
    expect(nodes.relay.wire().includes(MARKER)).toBe(false);
    expect(await metricValue(nodes.proxy, meshCalls('db-strict', 'mtls'))).toBe(1);
  });

  it('strict: a caller without a certificate is closed before a byte leaves', async () => {
    nodes.callAs('nocert');
    expect(await tcpCall(10000, MARKER)).toBe('');
    expect(nodes.relay.connections).toBe(0);
    expect(await metricValue(nodes.proxy, meshCalls('db-strict', 'plaintext'))).toBe(0);
  });

  it('permissive: a caller without a certificate goes in plaintext, counted', async () => {
    nodes.callAs('nocert');
    expect(await tcpCall(10001, MARKER)).toBe(`${MARKER}bye`);
    expect(nodes.relay.connections).toBe(0);
    expect(await metricValue(nodes.proxy, meshCalls('db-permissive', 'plaintext'))).toBe(1);
    expect(await metricValue(nodes.proxy, fallbacks('db-permissive', 'no_certificate'))).toBe(1);
  });

  it('a destination that denies the caller closes the connection, also in permissive', async () => {
    nodes.callAs('intruder');
    expect(await tcpCall(10001, MARKER)).toBe('');
    expect(await metricValue(nodes.proxy, meshCalls('db-permissive', 'plaintext'))).toBe(0);
  });
});

describe('WebSocket to a pod on another node', () => {
  const open = (service = 'ws-strict', entrypoint = 5000): Promise<WebSocket> => {
    const port = nodes.proxy.boundPort('http', entrypoint) ?? 0;
    const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`, { headers: { host: `${service}.shop.mesh` } });
    resources.add(ws, async (w) => w.terminate());
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(ws));
      ws.once('error', reject);
      ws.once('unexpected-response', (_req, res) => reject(new Error(`status ${res.statusCode}`)));
    });
  };

  it('is upgraded through the tunnel and carries frames both ways, TLS only on the wire', async () => {
    const ws = await open();
    ws.send(MARKER);
    const [reply] = await once(ws, 'message');
    expect(String(reply)).toBe(`echo ${MARKER}`);
    expect(nodes.server.counts.streamsAccepted).toBe(1);
    expect(nodes.relay.wire().includes(MARKER)).toBe(false);
    expect(await metricValue(nodes.proxy, meshCalls('ws-strict', 'mtls'))).toBe(1);
  });

  it('strict: a caller without a certificate gets 503, and nothing crosses', async () => {
    nodes.callAs('nocert');
    await expect(open()).rejects.toThrow('status 503');
    expect(nodes.relay.connections).toBe(0);
  });

  it('a destination that denies the caller answers 403', async () => {
    nodes.callAs('intruder');
    await expect(open()).rejects.toThrow('status 403');
  });

  it('permissive: an upgrade whose tunnel cannot connect goes straight to the pod, counted', async () => {
    const ws = await open('ws-unreachable', 5001);
    ws.send('hello');
    const [reply] = await once(ws, 'message');
    expect(String(reply)).toBe('echo hello');
    expect(await metricValue(nodes.proxy, meshCalls('ws-unreachable', 'plaintext'))).toBe(1);
    expect(await metricValue(nodes.proxy, fallbacks('ws-unreachable', 'tunnel_failed'))).toBe(1);
  });
});
