import { Pool } from 'undici';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type NodeProxy, seededRandom } from '../src/index.js';
import { meshService, readyEndpoints, routeGroup, split, topologyInputs } from './fixtures.js';
import { httpBackend, Resources, startProxy } from './support.js';

let resources: Resources;
let proxy: NodeProxy;
let client: Pool;
let ports: { v1: number; v2: number };

const root = meshService('shop', 'orders', [{ port: 80, targetPort: 5000 }]);
const v1 = meshService('shop', 'orders-v1', [{ port: 80, targetPort: 5000 }]);
const v2 = meshService('shop', 'orders-v2', [{ port: 80, targetPort: 5000 }]);

beforeEach(async () => {
  resources = new Resources();
  ports = { v1: (await httpBackend(resources, 'v1')).port, v2: (await httpBackend(resources, 'v2')).port };
  proxy = await startProxy(resources, { random: seededRandom(42) });
  client = new Pool(
    `http://127.0.0.1:${await entrypointAfter(split('shop', 's', 'orders', [['orders-v1', 1]]))}`,
    {
      connections: 4,
    },
  );
  resources.add(client, (c) => c.close());
});
afterEach(async () => {
  await resources.closeAll();
});

async function entrypointAfter(s: ReturnType<typeof split>, groups: ReturnType<typeof routeGroup>[] = []) {
  await proxy.applyInputs(
    topologyInputs({
      services: [root, v1, v2],
      endpoints: {
        'shop/orders-v1': readyEndpoints([{ address: '127.0.0.1', port: ports.v1 }]),
        'shop/orders-v2': readyEndpoints([{ address: '127.0.0.1', port: ports.v2 }]),
      },
      splits: [s],
      routeGroups: groups,
    }),
  );
  return proxy.boundPort('http', 5000);
}

/** Sends `count` requests to orders.shop.mesh and counts the answering backends. */
async function tally(count: number, path = '/', headers: Record<string, string> = {}) {
  const seen: Record<string, number> = {};
  for (let i = 0; i < count; i++) {
    const res = await client.request({
      method: 'GET',
      path,
      headers: { host: 'orders.shop.mesh', ...headers },
    });
    const backend = res.headers['x-backend'];
    await res.body.text();
    const name = typeof backend === 'string' ? backend : `status ${res.statusCode}`;
    seen[name] = (seen[name] ?? 0) + 1;
  }
  return seen;
}

describe('TrafficSplit through the proxy', () => {
  it('100/0 and 0/100 send everything to one backend', async () => {
    await entrypointAfter(
      split('shop', 's', 'orders', [
        ['orders-v1', 100],
        ['orders-v2', 0],
      ]),
    );
    expect(await tally(50)).toEqual({ v1: 50 });
    await entrypointAfter(
      split('shop', 's', 'orders', [
        ['orders-v1', 0],
        ['orders-v2', 100],
      ]),
    );
    expect(await tally(50)).toEqual({ v2: 50 });
  });

  it('75/25 is honoured within a statistical tolerance', async () => {
    await entrypointAfter(
      split('shop', 's', 'orders', [
        ['orders-v1', 75],
        ['orders-v2', 25],
      ]),
    );
    const n = 400;
    const seen = await tally(n);
    expect((seen.v1 ?? 0) + (seen.v2 ?? 0)).toBe(n);
    // sd of the share at n=400 is ~0.022; 0.1 is more than four of them.
    expect(Math.abs((seen.v1 ?? 0) / n - 0.75)).toBeLessThan(0.1);
  });

  it('requests not matching the split’s HTTPRouteGroup go to the root Service', async () => {
    const rootPort = (await httpBackend(resources, 'root')).port;
    await proxy.applyInputs(
      topologyInputs({
        services: [root, v1, v2],
        endpoints: {
          'shop/orders': readyEndpoints([{ address: '127.0.0.1', port: rootPort }]),
          'shop/orders-v2': readyEndpoints([{ address: '127.0.0.1', port: ports.v2 }]),
        },
        splits: [split('shop', 's', 'orders', [['orders-v2', 1]], ['canary'])],
        routeGroups: [
          routeGroup('shop', 'canary', [{ name: 'c', methods: [], headers: { 'x-canary': 'yes' } }]),
        ],
      }),
    );
    expect(await tally(10, '/', { 'x-canary': 'yes' })).toEqual({ v2: 10 });
    expect(await tally(10)).toEqual({ root: 10 });
  });
});
