import type { AddressInfo } from 'node:net';
import { createServer } from 'node:net';
import { createLogger } from '@nodemesh/kube-runtime';
import fc from 'fast-check';
import { request } from 'undici';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { meshService, readyEndpoints, split, topologyInputs } from './fixtures.js';
import { httpBackend, Resources, rawExchange, startProxy, udpExchange } from './support.js';

let resources: Resources;

beforeEach(() => {
  resources = new Resources();
});
afterEach(async () => {
  await resources.closeAll();
});

describe('bad input never takes the proxy down', () => {
  it('random request heads get an answer or a close, and the entrypoint keeps serving', async () => {
    const backend = await httpBackend(resources, 'web');
    const proxy = await startProxy(resources);
    await proxy.applyInputs(
      topologyInputs({
        services: [meshService('shop', 'web', [{ port: 80, targetPort: 5000 }])],
        endpoints: { 'shop/web': readyEndpoints([{ address: '127.0.0.1', port: backend.port }]) },
      }),
    );
    const port = proxy.boundPort('http', 5000) ?? 0;
    const heads = fc.oneof(
      fc.string({ maxLength: 200 }).map((s) => `${s}\r\n\r\n`),
      fc
        .tuple(
          fc.constantFrom('GET', 'POST', 'G\u0000T', 'PRI', ''),
          fc.string({ maxLength: 50 }),
          fc.string({ maxLength: 80 }),
        )
        .map(([m, path, header]) => `${m} /${path} HTTP/1.1\r\nHost: web.shop.mesh\r\n${header}\r\n\r\n`),
      fc.constant('POST / HTTP/1.1\r\nHost: web.shop.mesh\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n'),
      fc.constant('GET / HTTP/1.1\r\nHost: web.shop.mesh\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n'),
    );
    // Bounded: 40 cases, each closed by the server or cut after 1.5 s (a partial request the proxy waits on).
    await fc.assert(
      fc.asyncProperty(heads, async (head) => {
        const answer = await rawExchange(port, head, 1_500).catch(() => 'cut');
        expect(typeof answer).toBe('string');
      }),
      { numRuns: 40 },
    );
    const res = await request(`http://127.0.0.1:${port}/`, { headers: { host: 'web.shop.mesh' } });
    expect(res.statusCode).toBe(200);
    await res.body.text();
  });

  it('garbage to TCP and UDP listeners without a route is dropped, the listeners stay up', async () => {
    const proxy = await startProxy(resources);
    await proxy.applyInputs(
      topologyInputs({
        services: [
          meshService('shop', 'db', [{ port: 1, targetPort: 10000 }], { trafficType: 'tcp' }),
          meshService('shop', 'dns', [{ port: 53, targetPort: 15000 }], { trafficType: 'udp' }),
        ],
      }),
    );
    expect(await rawExchange(proxy.boundPort('tcp', 10000) ?? 0, '\u0000\u00ff garbage', 2_000)).toBe('');
    await expect(udpExchange(proxy.boundPort('udp', 15000) ?? 0, 'garbage', 200)).rejects.toThrow(
      'no UDP reply',
    );
    expect(proxy.boundPort('udp', 15000)).toBeDefined();
  });
});

describe('a listener that cannot open', () => {
  it('is reported by applySnapshot and keeps /readyz at 503 with the reason', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    resources.add(blocker, (b) => new Promise<void>((resolve) => b.close(() => resolve())));
    const taken = (blocker.address() as AddressInfo).port;
    const lines: { level: string; msg: string }[] = [];
    const logger = createLogger({ component: 'node-proxy', write: (line) => lines.push(JSON.parse(line)) });
    const proxy = await startProxy(resources, { bindPort: (kind) => (kind === 'tcp' ? taken : 0), logger });
    proxy.markSynced();
    const inputs = topologyInputs({
      services: [meshService('shop', 'db', [{ port: 5432, targetPort: 10000 }], { trafficType: 'tcp' })],
      splits: [split('shop', 's', 'db', [['ghost', 1]])],
    });
    const snapshot = await proxy.applyInputs(inputs);
    expect(snapshot.version).toBe(1);
    await proxy.applyInputs(inputs);
    // The problem is logged once, not on every snapshot that still has it; the failure on each try.
    expect(lines.filter((l) => l.level === 'warn').map((l) => l.msg)).toEqual([
      'backend Service "ghost" does not exist',
    ]);
    expect(lines.filter((l) => l.level === 'error').length).toBe(2);
    const res = await request(`http://127.0.0.1:${proxy.adminPort()}/readyz`);
    expect(res.statusCode).toBe(503);
    expect(await res.body.text()).toMatch(/^not ready: listener tcp:10000 failed: .*EADDRINUSE/);
  });
});
