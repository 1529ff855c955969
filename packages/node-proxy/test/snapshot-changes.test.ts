import { connect } from 'node:net';
import { Pool, request } from 'undici';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { meshService, readyEndpoints, split, topologyInputs } from './fixtures.js';
import { httpBackend, Resources, startProxy, tcpEchoBackend } from './support.js';

let resources: Resources;

beforeEach(() => {
  resources = new Resources();
});
afterEach(async () => {
  await resources.closeAll();
});

const stable = meshService('shop', 'stable', [{ port: 80, targetPort: 5000 }]);
const moving = meshService('shop', 'moving', [{ port: 80, targetPort: 5000 }]);
const other = meshService('shop', 'other', [{ port: 80, targetPort: 5000 }]);

describe('snapshot changes', () => {
  it('routes change under load with no failed request to the Services that did not change', async () => {
    const a = await httpBackend(resources, 'stable');
    const b1 = await httpBackend(resources, 'moving-1');
    const b2 = await httpBackend(resources, 'moving-2');
    const proxy = await startProxy(resources);
    const endpoints = (movingPort: number) => ({
      'shop/stable': readyEndpoints([{ address: '127.0.0.1', port: a.port }]),
      'shop/moving': readyEndpoints([{ address: '127.0.0.1', port: movingPort }]),
      'shop/other': readyEndpoints([{ address: '127.0.0.1', port: movingPort }]),
    });
    await proxy.applyInputs(topologyInputs({ services: [stable, moving], endpoints: endpoints(b1.port) }));
    const client = new Pool(`http://127.0.0.1:${proxy.boundPort('http', 5000)}`, { connections: 8 });
    resources.add(client, (c) => c.close());

    let stop = false;
    const failures: string[] = [];
    let done = 0;
    const deadline = Date.now() + 10_000;
    const worker = async () => {
      for (let i = 0; i < 300 && !stop && Date.now() < deadline; i++) {
        try {
          const res = await client.request({
            method: 'GET',
            path: '/',
            headers: { host: 'stable.shop.mesh' },
          });
          const backend = res.headers['x-backend'];
          await res.body.text();
          if (res.statusCode !== 200 || backend !== 'stable')
            failures.push(`${res.statusCode} ${String(backend)}`);
        } catch (err) {
          failures.push(String(err));
        }
        done++;
      }
    };
    const load = Promise.all(Array.from({ length: 8 }, worker));
    // 40 snapshot changes while the load runs: the moving Service flips endpoints, a split comes and
    // goes, a third Service appears and disappears; all on the same entrypoint as the stable one.
    for (let i = 0; i < 40; i++) {
      const flip = i % 2 === 0;
      await proxy.applyInputs(
        topologyInputs({
          services: flip ? [stable, moving, other] : [stable, moving],
          endpoints: endpoints(flip ? b2.port : b1.port),
          splits: flip ? [split('shop', 's', 'moving', [['other', 1]])] : [],
        }),
      );
      await new Promise((r) => setTimeout(r, 5));
    }
    stop = true;
    await load;
    expect(failures).toEqual([]);
    expect(done).toBeGreaterThan(40);
    expect(proxy.snapshot.version).toBe(41);
  });

  it('opens and closes listeners as ports come and go, leaving the others alone', async () => {
    const echo = await tcpEchoBackend(resources);
    const web = await httpBackend(resources, 'web');
    const proxy = await startProxy(resources);
    const webSvc = meshService('shop', 'web', [{ port: 80, targetPort: 5000 }]);
    const db = meshService('shop', 'db', [{ port: 5432, targetPort: 10001 }], { trafficType: 'tcp' });
    const eps = {
      'shop/web': readyEndpoints([{ address: '127.0.0.1', port: web.port }]),
      'shop/db': readyEndpoints([{ address: '127.0.0.1', port: echo }]),
    };
    await proxy.applyInputs(topologyInputs({ services: [webSvc, db], endpoints: eps }));
    const httpPort = proxy.boundPort('http', 5000);
    const tcpPort = proxy.boundPort('tcp', 10001) ?? 0;

    // An open TCP connection and a keep-alive HTTP client.
    const socket = connect({ host: '127.0.0.1', port: tcpPort });
    resources.add(socket, async (s) => void s.destroy());
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));

    await proxy.applyInputs(topologyInputs({ services: [webSvc], endpoints: eps }));
    expect(proxy.boundPort('tcp', 10001)).toBeUndefined();
    expect(proxy.boundPort('http', 5000)).toBe(httpPort);
    const res = await request(`http://127.0.0.1:${httpPort}/`, { headers: { host: 'web.shop.mesh' } });
    expect(res.statusCode).toBe(200);
    await res.body.text();
    // The removed TCP listener accepts no new connection, and its open one is closed: no route admits it.
    const refused = await new Promise<string>((resolve) => {
      const probe = connect({ host: '127.0.0.1', port: tcpPort });
      probe.once('connect', () => {
        probe.destroy();
        resolve('connected');
      });
      probe.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? 'error'));
    });
    expect(refused).toBe('ECONNREFUSED');
    socket.on('error', () => undefined);
    if (!socket.destroyed) await new Promise<void>((resolve) => socket.once('close', () => resolve()));
  });
});
