import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { NodeProxy } from '../../src/index.js';
import type { MeshServiceConfig } from '../../src/topology/inputs.js';
import { meshService, readyEndpoints, topologyInputs } from '../fixtures.js';
import { Resources, startProxy } from '../support.js';
import { httpCall, metricValue, withPolicy } from './policy-fixtures.js';

let resources: Resources;
let proxy: NodeProxy;

/**
 * A backend with `/flaky` (every third request answers 503), `/slow` (answers after 1 s) and anything else
 * (200 with the request body's length). `seen` counts requests that reached it.
 */
async function backend(): Promise<{ port: number; seen: () => number; server: Server }> {
  let seen = 0;
  let flaky = 0;
  const server = createServer((req, res) => {
    seen++;
    let bytes = 0;
    req.on('data', (c: Buffer) => {
      bytes += c.length;
    });
    req.on('end', () => {
      if (req.url === '/flaky' && ++flaky % 3 === 0) {
        res.writeHead(503).end('try again');
        return;
      }
      if (req.url === '/slow') {
        const timer = setTimeout(() => res.end('late'), 1_000);
        res.on('close', () => clearTimeout(timer));
        return;
      }
      res.end(`ok ${bytes}`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  resources.add(
    server,
    (s) =>
      new Promise<void>((resolve) => {
        s.closeAllConnections();
        s.close(() => resolve());
      }),
  );
  return { port: (server.address() as AddressInfo).port, seen: () => seen, server };
}

/** A loopback port nothing listens on (bound, then closed). */
async function deadPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function route(config: Partial<MeshServiceConfig>, ports: readonly number[]): Promise<number> {
  await proxy.applyInputs(
    topologyInputs({
      services: [withPolicy(meshService('shop', 'orders', [{ port: 80, targetPort: 5000 }]), { config })],
      endpoints: { 'shop/orders': readyEndpoints(ports.map((port) => ({ address: '127.0.0.1', port }))) },
    }),
  );
  return proxy.boundPort('http', 5000) ?? 0;
}

const metric = async (name: string, labels: Record<string, string> = {}) =>
  metricValue(await proxy.metrics.registry.metrics(), name, labels);

beforeEach(async () => {
  resources = new Resources();
  proxy = await startProxy(resources);
});
afterEach(async () => {
  await resources.closeAll();
});

describe('retries', () => {
  it('hide a backend that fails one request in three', async () => {
    const b = await backend();
    const port = await route({ retry: { attempts: 2, perTryTimeoutMs: 2_000 } }, [b.port]);
    const statuses: number[] = [];
    for (let i = 0; i < 30; i++) statuses.push((await httpCall(port, { path: '/flaky' })).status);
    expect(statuses.filter((s) => s !== 200)).toEqual([]);
    // Requests 3, 6, 9, … failed and were each tried once more: 44 reached the backend, 14 of them retries.
    expect(b.seen()).toBe(44);
    expect(await metric('nodemesh_http_retries_total', { outcome: 'attempted' })).toBe(14);
  });

  it('do not repeat a POST that got a 503, but do resend a buffered POST whose connection was refused', async () => {
    const b = await backend();
    const port = await route({ retry: { attempts: 2, perTryTimeoutMs: 2_000 } }, [b.port]);
    const answers: number[] = [];
    for (let i = 0; i < 3; i++)
      answers.push((await httpCall(port, { path: '/flaky', method: 'POST', body: 'x' })).status);
    expect(answers).toEqual([200, 200, 503]);

    const dead = await deadPort();
    const port2 = await route({ retry: { attempts: 3, perTryTimeoutMs: 2_000 } }, [dead, b.port]);
    for (let i = 0; i < 10; i++) {
      const answer = await httpCall(port2, { path: '/p', method: 'POST', body: Buffer.alloc(1000, 'z') });
      expect(answer).toMatchObject({ status: 200, body: 'ok 1000' });
    }
  });

  it('give up on a slow try after the per-try timeout and try again', async () => {
    let calls = 0;
    const server = createServer((_req, res) => {
      if (++calls === 1) {
        const timer = setTimeout(() => res.end('late'), 2_000);
        res.on('close', () => clearTimeout(timer));
        return;
      }
      res.end('quick');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    resources.add(
      server,
      (s) =>
        new Promise<void>((resolve) => {
          s.closeAllConnections();
          s.close(() => resolve());
        }),
    );
    const port = await route({ retry: { attempts: 1, perTryTimeoutMs: 100 } }, [
      (server.address() as AddressInfo).port,
    ]);
    expect(await httpCall(port)).toMatchObject({ status: 200, body: 'quick' });
    expect(calls).toBe(2);
  });

  it('stay within the retry budget when a Service fails every request', async () => {
    await resources.closeAll();
    resources = new Resources();
    proxy = await startProxy(resources, { retryBudget: { ratio: 0.2, minPerSecond: 0 } });
    let seen = 0;
    const server = createServer((_req, res) => {
      seen++;
      res.writeHead(503).end('down');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    resources.add(server, (s) => new Promise<void>((resolve) => s.close(() => resolve())));
    const port = await route({ retry: { attempts: 3, perTryTimeoutMs: 2_000 } }, [
      (server.address() as AddressInfo).port,
    ]);
    for (let i = 0; i < 20; i++) expect((await httpCall(port)).status).toBe(503);
    // Without a budget this would be 80 (1 + 3 attempts each); the budget allows 20 % extra.
    expect(seen).toBeLessThanOrEqual(24);
    expect(await metric('nodemesh_http_retries_total', { outcome: 'budget_exhausted' })).toBeGreaterThan(0);
  });

  it('do not retry a body larger than the buffer limit', async () => {
    const dead = await deadPort();
    const port = await route({ retry: { attempts: 3, perTryTimeoutMs: 2_000 } }, [dead]);
    const answer = await httpCall(port, { method: 'PUT', body: Buffer.alloc(100 * 1024, 'z') });
    expect(answer.status).toBe(502);
    expect(await metric('nodemesh_http_retries_total', { outcome: 'attempted' })).toBe(0);
  });
});

describe('timeouts', () => {
  it('answer 504 when the request timeout runs out', async () => {
    const b = await backend();
    const port = await route({ timeoutMs: 150 }, [b.port]);
    const answer = await httpCall(port, { path: '/slow' });
    expect(answer.status).toBe(504);
    expect(answer.headers['x-nodemesh-error']).toBe('NM_REQUEST_TIMEOUT');
    expect((await httpCall(port, { path: '/fast' })).status).toBe(200);
    expect(await metric('nodemesh_http_proxy_errors_total', { error_kind: 'request_timeout' })).toBe(1);
  });
});

describe('circuit breaker', () => {
  it('opens on a dead backend (503 at once), survives a new snapshot, closes after recovery', async () => {
    const breaker = { errorPercentage: 50, minimumRequests: 3, windowMs: 10_000, openDurationMs: 1_000 };
    const dead = await deadPort();
    const port = await route({ circuitBreaker: breaker }, [dead]);
    for (let i = 0; i < 3; i++) expect((await httpCall(port)).status).toBe(502);
    const open = await httpCall(port);
    expect(open.status).toBe(503);
    expect(open.headers['x-nodemesh-error']).toBe('NM_CIRCUIT_OPEN');
    expect(await metric('nodemesh_circuit_breaker_state', { destination_service: 'orders' })).toBe(2);

    // The backend comes back on a new endpoint; the breaker (same config) is the same one: still open.
    const b = await backend();
    await route({ circuitBreaker: { ...breaker } }, [b.port]);
    expect((await httpCall(port)).status).toBe(503);
    let status = 0;
    for (let i = 0; i < 80 && status !== 200; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      status = (await httpCall(port)).status;
    }
    expect(status).toBe(200);
    expect(await metric('nodemesh_circuit_breaker_state', { destination_service: 'orders' })).toBe(0);
    expect(
      await metric('nodemesh_http_proxy_errors_total', { error_kind: 'circuit_open' }),
    ).toBeGreaterThanOrEqual(2);
  });
});

describe('rate limit', () => {
  it('answers 429 with Retry-After beyond the burst', async () => {
    const b = await backend();
    const port = await route({ rateLimit: { average: 0.2, burst: 3 } }, [b.port]);
    const statuses: number[] = [];
    let retryAfter: unknown;
    for (let i = 0; i < 5; i++) {
      const answer = await httpCall(port);
      statuses.push(answer.status);
      if (answer.status === 429) retryAfter = answer.headers['retry-after'];
    }
    expect(statuses.slice(0, 3)).toEqual([200, 200, 200]);
    expect(statuses.slice(3)).toContain(429);
    expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
    expect(
      await metric('nodemesh_rate_limited_total', { destination_service: 'orders' }),
    ).toBeGreaterThanOrEqual(1);
  });
});
