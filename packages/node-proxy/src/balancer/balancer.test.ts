import { describe, expect, it } from 'vitest';
import { meshService, split, topologyInputs } from '../../test/fixtures.js';
import { endpointKey } from '../snapshot/snapshot.js';
import { createTopologyBuilder } from '../topology/topology-builder.js';
import { chooseBackend } from './choose-target.js';
import { EndpointBalancer, pickPowerOfTwo } from './endpoint-balancer.js';
import { seededRandom } from './random.js';
import { pickWeighted } from './weighted-choice.js';

const endpoint = (n: number) => ({ address: `10.0.0.${n}`, port: 80, key: endpointKey(`10.0.0.${n}`, 80) });

/** A random source that replays the given numbers. */
function replay(...values: number[]) {
  let i = 0;
  return () => values[i++ % values.length] ?? 0;
}

describe('weighted choice', () => {
  const items = [
    { id: 'a', weight: 75 },
    { id: 'b', weight: 0 },
    { id: 'c', weight: 25 },
  ];
  it.each([
    [0, 'a'],
    [0.7499, 'a'],
    [0.75, 'c'],
    [0.9999, 'c'],
  ])('random %f picks %s; weight 0 never', (r, id) => {
    expect(pickWeighted(items, 100, () => r)?.id).toBe(id);
  });
  it('nothing when every weight is 0', () => {
    expect(pickWeighted([{ weight: 0 }], 0, Math.random)).toBeUndefined();
  });
  it('shares converge to the weights', () => {
    const random = seededRandom(7);
    let a = 0;
    for (let i = 0; i < 10_000; i++) if (pickWeighted(items, 100, random)?.id === 'a') a++;
    expect(a / 10_000).toBeCloseTo(0.75, 1);
  });
});

describe('power of two choices', () => {
  it('takes the less loaded of the two drawn', () => {
    const load = new Map([
      ['10.0.0.1:80', 5],
      ['10.0.0.2:80', 1],
      ['10.0.0.3:80', 0],
    ]);
    // Draws index 0, then index 1 of the remaining two: candidates 1 and 2.
    const chosen = pickPowerOfTwo(
      [endpoint(1), endpoint(2), endpoint(3)],
      (e) => load.get(e.key) ?? 0,
      replay(0, 0),
    );
    expect(chosen?.key).toBe('10.0.0.2:80');
  });
  it('never draws the same endpoint twice', () => {
    const seen = new Set<string>();
    const chosen = pickPowerOfTwo(
      [endpoint(1), endpoint(2)],
      (e) => {
        seen.add(e.key);
        return 0;
      },
      replay(0.99, 0.99),
    );
    expect(seen.size).toBe(2);
    expect(chosen).toBeDefined();
  });
  it('one endpoint or none', () => {
    expect(pickPowerOfTwo([endpoint(1)], () => 0, Math.random)?.key).toBe('10.0.0.1:80');
    expect(pickPowerOfTwo([], () => 0, Math.random)).toBeUndefined();
  });

  it('the balancer spreads in-flight requests and releases them', () => {
    const balancer = new EndpointBalancer(seededRandom(1));
    const endpoints = [endpoint(1), endpoint(2), endpoint(3)];
    const picked = Array.from({ length: 30 }, () => balancer.pick(endpoints));
    for (const e of endpoints) expect(balancer.load(e.key)).toBeGreaterThanOrEqual(8);
    for (const e of picked) if (e !== undefined) balancer.release(e);
    for (const e of endpoints) expect(balancer.load(e.key)).toBe(0);
  });
});

describe('choosing the backend of a route', () => {
  const orders = meshService('shop', 'orders', [{ port: 80, targetPort: 5000 }]);
  const v2 = meshService('shop', 'orders-v2', [{ port: 80, targetPort: 5001 }]);
  const build = (s: ReturnType<typeof split>) =>
    createTopologyBuilder()
      .build(topologyInputs({ services: [orders, v2], splits: [s] }))
      .http.get(5000)
      ?.hosts.get('orders.shop.mesh');

  it('a split with matches sends non-matching requests to the root', () => {
    const snapshotInputs = topologyInputs({
      services: [orders, v2],
      splits: [split('shop', 's', 'orders', [['orders-v2', 1]], ['g'])],
      routeGroups: [
        {
          kind: 'HTTPRouteGroup',
          apiVersion: 'v',
          namespace: 'shop',
          name: 'g',
          matches: [{ name: 'm', pathRegex: '/v2/.*', methods: [], headers: {} }],
        },
      ],
    });
    const route = createTopologyBuilder().build(snapshotInputs).http.get(5000)?.hosts.get('orders.shop.mesh');
    if (route === undefined) throw new Error('no route');
    const to = (path: string) =>
      chooseBackend(route, Math.random, { method: 'GET', path, headers: {} })?.service.name;
    expect(to('/v2/x')).toBe('orders-v2');
    expect(to('/v1/x')).toBe('orders');
    // A connection (no request) cannot match an HTTP route group: root.
    expect(chooseBackend(route, Math.random)?.service.name).toBe('orders');
  });

  it('a split of all-zero weights has no backend', () => {
    const route = build(split('shop', 's', 'orders', [['orders-v2', 0]]));
    if (route === undefined) throw new Error('no route');
    expect(chooseBackend(route, Math.random)).toBeUndefined();
  });
});
