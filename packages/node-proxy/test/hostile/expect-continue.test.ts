/**
 * Issue 13, item 3: `Expect: 100-continue` works end to end (the proxy answers 100 once policy admits the
 * request, then streams the body), failures the request or the proxy caused never count against a circuit
 * breaker, and `OPTIONS *` gets an answer of its own.
 */
import { request } from 'node:http';
import { connect as connectH2 } from 'node:http2';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type NodeProxy, staticCallers } from '../../src/index.js';
import type { MeshServiceConfig } from '../../src/topology/inputs.js';
import { meshService, readyEndpoints, routeGroup, topologyInputs } from '../fixtures.js';
import {
  CALLER_IPS,
  httpCall,
  metricValue,
  trafficTarget,
  withAccess,
  withPolicy,
} from '../policy/policy-fixtures.js';
import { Resources, startProxy } from '../support.js';
import {
  type RecordingBackend,
  rawConnection,
  rawRequest,
  recordingBackend,
  scrape,
  statusOf,
} from './hostile-fixtures.js';

const callers = staticCallers(
  new Map([
    [CALLER_IPS.a, { namespace: 'web', workload: 'frontend', serviceAccount: 'frontend' }],
    [CALLER_IPS.c, { namespace: 'web', workload: 'crawler', serviceAccount: 'crawler' }],
  ]),
);
const BREAKER: Partial<MeshServiceConfig> = {
  circuitBreaker: { errorPercentage: 50, minimumRequests: 5, windowMs: 10_000, openDurationMs: 10_000 },
};

let resources: Resources;
let proxy: NodeProxy;
let backend: RecordingBackend;
let http: number;

async function start(options: { accessControl?: boolean } = {}): Promise<void> {
  backend = await recordingBackend(resources);
  proxy = await startProxy(resources, { callers, accessControl: options.accessControl ?? false });
  const inputs = topologyInputs({
    services: [
      withPolicy(meshService('shop', 'orders', [{ port: 80, targetPort: 5000 }]), {
        serviceAccounts: ['orders'],
        config: BREAKER,
      }),
    ],
    endpoints: { 'shop/orders': readyEndpoints([{ address: '127.0.0.1', port: backend.port }]) },
  });
  await proxy.applyInputs(
    withAccess(inputs, {
      targets: [
        trafficTarget(
          'uploads',
          { namespace: 'shop', name: 'orders' },
          [{ namespace: 'web', name: 'frontend' }],
          [{ kind: 'HTTPRouteGroup', name: 'uploads', matches: [] }],
        ),
      ],
      routeGroups: [
        routeGroup('shop', 'uploads', [{ name: 'up', pathRegex: '/upload', methods: ['*'], headers: {} }]),
      ],
    }),
  );
  http = proxy.boundPort('http', 5000) ?? 0;
}

/**
 * An upload the way curl sends one over 1 MiB: `Expect: 100-continue`, the body only after the 100. Resolves
 * with the final status, whether a 100 came, and the response body.
 */
function upload(
  bytes: number,
  options: { from?: string; path?: string } = {},
): Promise<{ status: number; continued: boolean; body: string }> {
  return new Promise((resolve, reject) => {
    let continued = false;
    const req = request({
      host: '127.0.0.1',
      port: http,
      localAddress: options.from ?? CALLER_IPS.a,
      method: 'POST',
      path: options.path ?? '/upload',
      agent: false,
      headers: { host: 'orders.shop.mesh', expect: '100-continue', 'content-length': String(bytes) },
      timeout: 5_000,
    });
    req.on('continue', () => {
      continued = true;
      req.end(Buffer.alloc(bytes, 'u'));
    });
    req.on('response', (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        body += d;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, continued, body }));
    });
    req.on('timeout', () => req.destroy(new Error('upload timed out')));
    req.on('error', reject);
    req.flushHeaders();
  });
}

beforeEach(() => {
  resources = new Resources();
});
afterEach(async () => {
  await resources.closeAll();
});

describe('Expect: 100-continue', () => {
  it('a 2 MiB upload gets its 100, then reaches the backend whole, without the Expect header', async () => {
    await start();
    const answer = await upload(2 * 1024 * 1024);
    expect(answer.status).toBe(200);
    expect(answer.continued).toBe(true);
    expect(backend.seen).toHaveLength(1);
    expect(backend.seen[0]?.bodyBytes).toBe(2 * 1024 * 1024);
    expect(backend.seen[0]?.headers.expect).toBeUndefined();
  });

  it('a request policy denies gets its answer and no 100, so the body is never sent', async () => {
    await start({ accessControl: true });
    const denied = await upload(1024, { from: CALLER_IPS.c });
    expect(denied).toMatchObject({ status: 403, continued: false });
    const elsewhere = await upload(1024, { path: '/admin' });
    expect(elsewhere).toMatchObject({ status: 403, continued: false });
    expect((await upload(1024)).status).toBe(200);
    expect(backend.seen.map((r) => r.url)).toEqual(['/upload']);
  });
});

describe('what counts against the circuit breaker', () => {
  const breakerState = async () =>
    metricValue(await scrape(proxy), 'nodemesh_circuit_breaker_state', { destination_service: 'orders' });

  it('20 uploads with Expect from one caller leave the breaker closed for everyone', async () => {
    await start();
    for (let i = 0; i < 20; i++) expect((await upload(64 * 1024)).status).toBe(200);
    expect(await breakerState()).toBe(0);
    expect((await httpCall(http, { from: CALLER_IPS.c, path: '/upload' })).status).toBe(200);
  });

  it('20 uploads the caller abandons halfway leave the breaker closed for everyone', async () => {
    await start();
    for (let i = 0; i < 20; i++) {
      // Declares 100 kB, sends 1 kB, goes away: the caller's failure, not the backend's.
      const connection = await rawConnection(resources, http, CALLER_IPS.a);
      connection.socket.write(
        'POST /upload HTTP/1.1\r\nHost: orders.shop.mesh\r\nContent-Length: 100000\r\n\r\n' +
          'x'.repeat(1024),
      );
      await new Promise((r) => setTimeout(r, 20));
      connection.socket.destroy();
    }
    expect(await breakerState()).toBe(0);
    expect((await httpCall(http, { from: CALLER_IPS.c, path: '/upload' })).status).toBe(200);
  });
});

describe('what still counts against the circuit breaker', () => {
  it('an upstream that resets uploads midway opens it', async () => {
    await start();
    // The backend now hangs up on every request as soon as it has its head.
    backend.server.removeAllListeners('request');
    backend.server.on('request', (req) => req.socket.destroy());
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) statuses.push((await upload(256 * 1024).catch(() => ({ status: 0 }))).status);
    expect(statuses.slice(0, 5).every((s) => s === 502 || s === 0)).toBe(true);
    expect(statuses.at(-1)).toBe(503);
    expect(
      metricValue(await scrape(proxy), 'nodemesh_circuit_breaker_state', { destination_service: 'orders' }),
    ).toBe(2);
  });
});

describe('OPTIONS *', () => {
  it('is answered by the proxy over HTTP/1.1 and HTTP/2, and reaches no backend', async () => {
    await start();
    const answer = await rawRequest(
      resources,
      http,
      'OPTIONS * HTTP/1.1\r\nHost: orders.shop.mesh\r\nConnection: close\r\n\r\n',
    );
    expect(statusOf(answer)).toBe(200);
    expect(answer).toMatch(/\r\nallow: [A-Z, ]*OPTIONS/i);
    const session = connectH2(`http://127.0.0.1:${http}`);
    resources.add(session, async (s) => void s.destroy());
    session.on('error', () => undefined);
    const status = await new Promise<number>((resolve, reject) => {
      const stream = session.request({
        ':method': 'OPTIONS',
        ':path': '*',
        ':authority': 'orders.shop.mesh',
      });
      stream.on('response', (headers) => resolve(Number(headers[':status'])));
      stream.on('error', reject);
      stream.end();
    });
    expect(status).toBe(200);
    expect(backend.seen).toEqual([]);
    const text = await scrape(proxy);
    expect(metricValue(text, 'nodemesh_circuit_breaker_state', { destination_service: 'orders' })).toBe(0);
  });
});
