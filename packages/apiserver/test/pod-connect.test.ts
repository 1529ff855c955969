/**
 * The pod subresources the in-memory server plays the kubelet for: `pods/proxy` (plain HTTP) and
 * `pods/portforward` (WebSocket channel protocol), against a real HTTP server standing in for a pod, and with
 * @kubernetes/client-node's PortForward as the client.
 */
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
import { PortForward } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiServer, type AuditCall, startApiServer } from '../src/index.js';
import { call, kubeConfigFor } from './helpers.js';

let server: ApiServer;
let pod: Server;
let podPort: number;
const calls: AuditCall[] = [];

beforeAll(async () => {
  server = await startApiServer({ onRequest: (c) => calls.push(c) });
  pod = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => {
      body += chunk.toString();
    });
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'text/plain', 'x-pod': 'yes' });
      res.end(`${req.method} ${req.url} ${body}`);
    });
  });
  await new Promise<void>((resolve) => pod.listen(0, '127.0.0.1', resolve));
  podPort = (pod.address() as AddressInfo).port;
  const manifest = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web', namespace: 'default' },
    spec: { containers: [{ name: 'web', image: 'web', ports: [{ name: 'admin', containerPort: podPort }] }] },
  };
  expect((await call(server.url, 'POST', '/api/v1/namespaces/default/pods', manifest)).status).toBe(201);
  const current = await call(server.url, 'GET', '/api/v1/namespaces/default/pods/web');
  const withStatus = { ...current.body, status: { phase: 'Running', podIP: '127.0.0.1' } };
  expect(
    (await call(server.url, 'PUT', '/api/v1/namespaces/default/pods/web/status', withStatus)).status,
  ).toBe(200);
});

afterAll(async () => {
  await server.stop();
  await new Promise((resolve) => pod.close(resolve));
});

describe('pods/proxy', () => {
  it('forwards to the first container port when none is named, with path and query, unchanged', async () => {
    const res = await fetch(`${server.url}/api/v1/namespaces/default/pods/web/proxy/metrics?a=1`);
    expect(res.status).toBe(200);
    expect(res.headers.get('x-pod')).toBe('yes');
    expect(await res.text()).toBe('GET /metrics?a=1 ');
  });

  it('forwards by port number and passes a request body', async () => {
    const res = await fetch(`${server.url}/api/v1/namespaces/default/pods/web:${podPort}/proxy/`, {
      method: 'POST',
      body: 'hello',
    });
    expect(await res.text()).toBe('POST / hello');
  });

  it('is recorded for RBAC as get on pods/proxy', () => {
    expect(calls).toContainEqual(
      expect.objectContaining({ verb: 'get', resource: 'pods', subresource: 'proxy', name: 'web' }),
    );
  });

  it('answers Status errors: unknown pod 404, a port name 400, nothing listening 503', async () => {
    expect((await call(server.url, 'GET', '/api/v1/namespaces/default/pods/nope:80/proxy/')).status).toBe(
      404,
    );
    // kube-apiserver takes pod ports by number only; a container-port name is refused.
    const badPort = await call(server.url, 'GET', '/api/v1/namespaces/default/pods/web:admin/proxy/');
    expect(badPort.status).toBe(400);
    expect(String(badPort.body.message)).toContain('invalid port "admin"');
    const closed = await call(server.url, 'GET', '/api/v1/namespaces/default/pods/web:1/proxy/');
    expect(closed.status).toBe(503);
    expect(closed.body.reason).toBe('ServiceUnavailable');
  });
});

describe('pods/portforward', () => {
  it('carries an HTTP exchange over client-node PortForward (WebSocket channel protocol)', async () => {
    const forward = new PortForward(kubeConfigFor(server.url));
    const input = new PassThrough();
    const output = new PassThrough();
    const errors = new PassThrough();
    let received = '';
    output.on('data', (chunk: Buffer) => {
      received += chunk.toString();
    });
    const ws = await forward.portForward('default', 'web', [podPort], output, errors, input);
    input.write('GET /debug/snapshot HTTP/1.1\r\nHost: pod\r\nConnection: close\r\n\r\n');
    const deadline = Date.now() + 5000;
    while (!received.includes('GET /debug/snapshot') && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(received).toMatch(/^HTTP\/1\.1 200 OK/);
    expect(received).toContain('GET /debug/snapshot ');
    (ws as { close(): void }).close();
    expect(calls).toContainEqual(
      expect.objectContaining({ verb: 'get', resource: 'pods', subresource: 'portforward', name: 'web' }),
    );
  });

  it('reports a refused connection on the error channel', async () => {
    const forward = new PortForward(kubeConfigFor(server.url));
    const errors = new PassThrough();
    let text = '';
    errors.on('data', (chunk: Buffer) => {
      text += chunk.toString();
    });
    await forward.portForward('default', 'web', [1], new PassThrough(), errors, new PassThrough());
    const deadline = Date.now() + 5000;
    while (text === '' && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(text).toContain('error forwarding port 1 to pod web');
  });

  it('refuses a plain GET, and an upgrade for a pod that does not exist', async () => {
    expect(
      (await call(server.url, 'GET', '/api/v1/namespaces/default/pods/web/portforward?ports=80')).status,
    ).toBe(400);
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(`${server.url}/api/v1/namespaces/default/pods/nope/portforward?ports=80`, {
        headers: {
          Connection: 'Upgrade',
          Upgrade: 'websocket',
          'Sec-WebSocket-Version': '13',
          'Sec-WebSocket-Key': Buffer.from('0123456789abcdef').toString('base64'),
          'Sec-WebSocket-Protocol': 'v4.channel.k8s.io',
        },
      });
      req.on('response', (res) => resolve(res.statusCode ?? 0));
      req.on('upgrade', () => resolve(101));
      req.on('error', reject);
      req.end();
    });
    expect(status).toBe(404);
  });
});
