/**
 * Nothing is applied before every informer has listed once: the pod list is held back by a forwarding proxy
 * in front of the API server, and the routing snapshot must wait for it.
 */
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type ApiServer, startApiServer } from '@nodemesh/apiserver';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { startNodeProxy } from '../../src/index.js';
import { httpBackend, Resources } from '../support.js';
import { Api, kubeConfigFor, waitFor } from './kube-fixtures.js';

let resources: Resources;
let server: ApiServer;

/** Forwards to the API server; requests whose path starts with `held` wait until `release()`. */
async function holdingProxy(target: string, held: string): Promise<{ url: string; release: () => void }> {
  let release: () => void = () => undefined;
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  const front: Server = createServer((req, res) => {
    const forward = () => {
      const upstream = httpRequest(
        `${target}${req.url ?? '/'}`,
        { method: req.method, headers: req.headers },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      upstream.on('error', () => res.destroy());
      res.on('close', () => upstream.destroy());
      req.pipe(upstream);
    };
    if ((req.url ?? '').startsWith(held)) void released.then(forward);
    else forward();
  });
  await new Promise<void>((resolve) => front.listen(0, '127.0.0.1', resolve));
  resources.add(front, (s) => {
    s.closeAllConnections();
    return new Promise<void>((resolve) => s.close(() => resolve()));
  });
  return { url: `http://127.0.0.1:${(front.address() as AddressInfo).port}`, release };
}

beforeEach(async () => {
  resources = new Resources();
  server = resources.add(await startApiServer(), (s) => s.stop());
});

afterEach(async () => {
  await resources.closeAll();
});

it('applies nothing and stays unready until every informer has synced', async () => {
  const api = new Api(server.url);
  const backend = await httpBackend(resources, 'v1');
  await api.namespace('shop');
  await api.namespace('nodemesh');
  await api.installSmiCrds();
  const orders = await api.service('shop', 'orders', { app: 'orders' }, backend.port);
  await api.pod('shop', 'orders-1', { node: 'node-b', ip: '127.0.0.1', labels: { app: 'orders' } });
  await api.shadow(orders);
  const front = await holdingProxy(server.url, '/api/v1/pods');
  const running = await startNodeProxy({
    kubeConfig: kubeConfigFor(front.url),
    nodeName: 'node-a',
    adminPort: 0,
    proxy: { bindPort: () => 0, drainMs: 200 },
    syncMinIntervalMs: 10,
  });
  resources.add(running, (r) => r.stop());
  const synced = (name: string) => running.informers().find((s) => s.name === name)?.synced === true;
  await waitFor('the other informers', () =>
    ['services', 'shadow-services', 'endpointslices', 'trafficsplits'].every(synced),
  );
  // Give a sync that should not happen the time to happen.
  await new Promise((resolve) => setTimeout(resolve, 300));
  expect(synced('pods')).toBe(false);
  expect(running.proxy.snapshot.version).toBe(0);
  expect((await fetch(`http://127.0.0.1:${running.proxy.adminPort()}/readyz`)).status).toBe(503);

  front.release();
  await running.synced;
  expect(running.proxy.snapshot.http.get(5000)?.hosts.has('orders.shop.mesh')).toBe(true);
  await waitFor(
    'readiness',
    async () => (await fetch(`http://127.0.0.1:${running.proxy.adminPort()}/readyz`)).status === 200,
  );
});
