import { connect } from 'node:net';
import { request } from 'undici';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { staticCallers } from '../src/index.js';
import { meshService, readyEndpoints, topologyInputs } from './fixtures.js';
import { httpBackend, Resources, rawExchange, startProxy } from './support.js';

let resources: Resources;

beforeEach(() => {
  resources = new Resources();
});
afterEach(async () => {
  await resources.closeAll();
});

const web = meshService('shop', 'web', [{ port: 80, targetPort: 5000 }]);

describe('admin endpoints', () => {
  it('healthz, readyz after sync, metrics with golden signals, the snapshot as JSON', async () => {
    const backend = await httpBackend(resources, 'web');
    const proxy = await startProxy(resources, {
      callers: staticCallers(
        new Map([['127.0.0.1', { namespace: 'front', workload: 'ui', serviceAccount: 'ui' }]]),
      ),
    });
    const admin = `http://127.0.0.1:${proxy.adminPort()}`;
    const get = async (path: string) => {
      const res = await request(`${admin}${path}`);
      return { status: res.statusCode, text: await res.body.text() };
    };
    expect(await get('/healthz')).toEqual({ status: 200, text: 'ok\n' });
    expect((await get('/readyz')).status).toBe(503);

    await proxy.applyInputs(
      topologyInputs({
        services: [web],
        endpoints: { 'shop/web': readyEndpoints([{ address: '127.0.0.1', port: backend.port }]) },
      }),
    );
    expect((await get('/readyz')).text).toBe('not ready: inputs have not synced yet\n');
    proxy.markSynced();
    expect(await get('/readyz')).toEqual({ status: 200, text: 'ready\n' });

    const res = await request(`http://127.0.0.1:${proxy.boundPort('http', 5000)}/`, {
      method: 'POST',
      body: 'x',
      headers: { host: 'web.shop.mesh' },
    });
    await res.body.text();
    const metrics = (await get('/metrics')).text;
    expect(metrics).toContain(
      'nodemesh_http_requests_total{source_namespace="front",source_workload="ui",destination_namespace="shop",destination_service="web",method="POST",status_class="2xx"} 1',
    );
    expect(metrics).toContain('nodemesh_http_request_duration_seconds_bucket');
    expect(metrics).toContain('nodemesh_snapshot_version 1');
    expect(metrics).toContain('nodemesh_snapshot_build_duration_seconds_count 1');

    // The snapshot is not on the admin port, which the cluster's network reaches.
    expect((await get('/debug/snapshot')).status).toBe(404);
  });

  it('serves /debug/snapshot on a listener of its own, bound to 127.0.0.1 only', async () => {
    const backend = await httpBackend(resources, 'web');
    const proxy = await startProxy(resources, { debugPort: 0 });
    await proxy.applyInputs(
      topologyInputs({
        services: [web],
        endpoints: { 'shop/web': readyEndpoints([{ address: '127.0.0.1', port: backend.port }]) },
      }),
    );
    const debugPort = proxy.debugPort() ?? 0;
    const res = await request(`http://127.0.0.1:${debugPort}/debug/snapshot`);
    const snapshot = (await res.body.json()) as {
      version: number;
      http: { entrypoint: number; hosts: Record<string, { root: { endpoints: string[] } }> }[];
    };
    expect(snapshot.version).toBe(1);
    expect(snapshot.http[0]?.hosts['web.shop.mesh']?.root.endpoints).toEqual([`127.0.0.1:${backend.port}`]);
    // Bound to 127.0.0.1 alone: another address of this host (any pod IP, in a pod) does not reach it.
    expect(await connectsTo('127.0.0.1', debugPort)).toBe(true);
    expect(await connectsTo('127.0.0.2', debugPort)).toBe(false);
    expect((await request(`http://127.0.0.1:${debugPort}/metrics`)).statusCode).toBe(404);
  });

  it('has no debug listener unless asked for one', async () => {
    const proxy = await startProxy(resources);
    expect(proxy.debugPort()).toBeUndefined();
  });
});

/** Whether a TCP connection to host:port is accepted (bounded). */
function connectsTo(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (ok: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), 2_000);
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

describe('lifecycle', () => {
  it('stop() lets an in-flight response finish and refuses new connections', async () => {
    const backend = await httpBackend(resources, 'web');
    const proxy = await startProxy(resources);
    await proxy.applyInputs(
      topologyInputs({
        services: [web],
        endpoints: { 'shop/web': readyEndpoints([{ address: '127.0.0.1', port: backend.port }]) },
      }),
    );
    const port = proxy.boundPort('http', 5000);
    const res = await request(`http://127.0.0.1:${port}/stream?chunks=40`, {
      headers: { host: 'web.shop.mesh' },
    });
    const stopped = proxy.stop();
    const body = await res.body.text();
    await stopped;
    expect(body.split('\n').length).toBe(41);
    await expect(
      request(`http://127.0.0.1:${port}/`, { headers: { host: 'web.shop.mesh' } }),
    ).rejects.toThrow();
  });

  it('a connection that never sends a byte is closed after the headers timeout', async () => {
    const proxy = await startProxy(resources, { http: { headersTimeoutMs: 300 } });
    await proxy.applyInputs(topologyInputs({ services: [web] }));
    expect(await rawExchange(proxy.boundPort('http', 5000) ?? 0, '', 5_000)).toBe('');
  });

  it('a client that does not finish its request head in time gets 408', async () => {
    const proxy = await startProxy(resources, { http: { headersTimeoutMs: 300 } });
    await proxy.applyInputs(topologyInputs({ services: [web] }));
    const answer = await rawExchange(
      proxy.boundPort('http', 5000) ?? 0,
      'GET / HTTP/1.1\r\nHost: web.shop.mesh\r\n',
      5_000,
    );
    expect(answer).toMatch(/^HTTP\/1\.1 408 /);
  });
});
