import { describe, expect, it } from 'vitest';
import { meshService, readyEndpoints, routeGroup, split, topologyInputs } from '../../test/fixtures.js';
import { tcpRoute, trafficTarget, withAccess, withPolicy } from '../../test/policy/policy-fixtures.js';
import type { PodCaller } from '../metrics/caller-index.js';
import type { Snapshot } from '../snapshot/snapshot.js';
import type { TopologyInputs } from '../topology/inputs.js';
import { createTopologyBuilder } from '../topology/topology-builder.js';
import { authorise, compileTunnelAuthorisation, destinationOf } from './tunnel-authorisation.js';

const TD = 'cluster.local';
const WEB = { trustDomain: TD, namespace: 'web', serviceAccount: 'frontend' };
const CRAWLER = { trustDomain: TD, namespace: 'web', serviceAccount: 'crawler' };

/** Pods of this node: orders (10.0.0.5), db (10.0.0.6), a dual-stack v2 pod, a pod of no Service. */
const pods: PodCaller[] = [
  {
    key: 'shop/orders-1',
    ips: ['10.0.0.5'],
    caller: { namespace: 'shop', workload: 'orders', serviceAccount: 'orders' },
  },
  {
    key: 'shop/db-1',
    ips: ['10.0.0.6'],
    caller: { namespace: 'shop', workload: 'db', serviceAccount: 'db' },
  },
  {
    key: 'shop/orders-v2-1',
    ips: ['10.0.0.7', 'fd00:0:0::7'],
    caller: { namespace: 'shop', workload: 'orders-v2', serviceAccount: 'orders-v2' },
  },
  {
    key: 'shop/debug',
    ips: ['10.0.0.8'],
    caller: { namespace: 'shop', workload: 'debug', serviceAccount: 'debug' },
  },
];

const base: TopologyInputs = topologyInputs({
  services: [
    withPolicy(meshService('shop', 'orders', [{ port: 80, targetPort: 5000 }]), {
      serviceAccounts: ['orders'],
    }),
    withPolicy(meshService('shop', 'orders-v2', [{ port: 80, targetPort: 5000 }], { shadow: false }), {
      serviceAccounts: ['orders-v2'],
    }),
    withPolicy(meshService('shop', 'db', [{ port: 5432, targetPort: 10000 }], { trafficType: 'tcp' }), {
      serviceAccounts: ['db'],
    }),
  ],
  endpoints: {
    // 10.0.0.9 is a pod of another node.
    'shop/orders': readyEndpoints([
      { address: '10.0.0.5', port: 8080 },
      { address: '10.0.0.9', port: 8080 },
    ]),
    'shop/orders-v2': readyEndpoints([
      { address: '10.0.0.7', port: 8080 },
      { address: 'fd00::7', port: 8080 },
    ]),
    'shop/db': readyEndpoints([{ address: '10.0.0.6', port: 5432 }]),
  },
  splits: [split('shop', 's', 'orders', [['orders-v2', 1]])],
});

const allHttp = routeGroup('shop', 'all', [{ name: 'any', methods: ['*'], headers: {} }]);
const httpRule = [{ kind: 'HTTPRouteGroup' as const, name: 'all', matches: [] }];
const tcpRule = [{ kind: 'TCPRoute' as const, name: 'pg', matches: [] }];

function snapshotOf(inputs: TopologyInputs): Snapshot {
  return createTopologyBuilder().build(inputs);
}

const compile = (snapshot: Snapshot, accessControl: boolean) =>
  compileTunnelAuthorisation({ snapshot, pods, accessControl, trustDomain: TD });

describe('authorise (the destination decides)', () => {
  const open = compile(snapshotOf(base), false);

  it('without access control serves any verified identity, only to meshed endpoints of this node’s pods', () => {
    expect(authorise(open, { source: WEB, podIP: '10.0.0.5', port: 8080 })).toEqual({ kind: 'allowed' });
    // A split's backend and a TCP Service's endpoint count as much as the root's.
    expect(authorise(open, { source: WEB, podIP: '10.0.0.7', port: 8080 }).kind).toBe('allowed');
    expect(authorise(open, { source: WEB, podIP: '10.0.0.6', port: 5432 }).kind).toBe('allowed');
  });

  it('refuses a pod of another node, another port of a pod here, and a pod of no Service, saying which', () => {
    expect(authorise(open, { source: WEB, podIP: '10.0.0.9', port: 8080 })).toEqual({
      kind: 'not-on-this-node',
      detail: '10.0.0.9 is not a running pod of this node',
    });
    expect(authorise(open, { source: WEB, podIP: '10.0.0.5', port: 22 })).toEqual({
      kind: 'not-on-this-node',
      detail: 'port 22 of pod shop/orders-1 is not an endpoint of a meshed Service',
    });
    expect(authorise(open, { source: WEB, podIP: '10.0.0.8', port: 8080 }).kind).toBe('not-on-this-node');
  });

  it('reads IPv6 endpoints in the one spelling the tunnel target parser writes', () => {
    expect(authorise(open, { source: WEB, podIP: 'fd00::7', port: 8080 }).kind).toBe('allowed');
  });

  it('names the destination pod’s identity for the metrics', () => {
    expect(destinationOf(open, '10.0.0.7', 8080)?.spiffeId).toBe(
      'spiffe://cluster.local/ns/shop/sa/orders-v2',
    );
    expect(destinationOf(open, '10.0.0.9', 8080)).toBeUndefined();
  });

  describe('with access control', () => {
    const ordersFromWeb = trafficTarget(
      't',
      { namespace: 'shop', name: 'orders' },
      [{ namespace: 'web', name: 'frontend' }],
      httpRule,
    );

    it('serves a source a TrafficTarget admits to the pod’s own ServiceAccount, denies the others', () => {
      const auth = compile(
        snapshotOf(withAccess(base, { targets: [ordersFromWeb], routeGroups: [allHttp] })),
        true,
      );
      expect(authorise(auth, { source: WEB, podIP: '10.0.0.5', port: 8080 }).kind).toBe('allowed');
      const denied = authorise(auth, { source: CRAWLER, podIP: '10.0.0.5', port: 8080 });
      expect(denied).toEqual({
        kind: 'denied-by-policy',
        detail:
          'no TrafficTarget admits spiffe://cluster.local/ns/web/sa/crawler to spiffe://cluster.local/ns/shop/sa/orders (pod shop/orders-1, shop/orders:80)',
      });
      // The split's backend runs as orders-v2, which no TrafficTarget names: the caller picked it, the
      // destination still asks about the pod's own ServiceAccount.
      expect(authorise(auth, { source: WEB, podIP: '10.0.0.7', port: 8080 }).kind).toBe('denied-by-policy');
      // The same source in another namespace is another identity.
      const other = { trustDomain: TD, namespace: 'shop', serviceAccount: 'frontend' };
      expect(authorise(auth, { source: other, podIP: '10.0.0.5', port: 8080 }).kind).toBe('denied-by-policy');
    });

    it('holds a grant to its Service port, and an HTTP Service only to grants with HTTP rules', () => {
      const wrongPort = trafficTarget(
        'p',
        { namespace: 'shop', name: 'orders', port: 81 },
        [{ namespace: 'web', name: 'frontend' }],
        httpRule,
      );
      const tcpOnly = trafficTarget(
        'q',
        { namespace: 'shop', name: 'orders' },
        [{ namespace: 'web', name: 'frontend' }],
        tcpRule,
      );
      const auth = compile(
        snapshotOf(
          withAccess(base, {
            targets: [wrongPort, tcpOnly],
            routeGroups: [allHttp],
            tcpRoutes: [tcpRoute('shop', 'pg', [5432])],
          }),
        ),
        true,
      );
      expect(authorise(auth, { source: WEB, podIP: '10.0.0.5', port: 8080 }).kind).toBe('denied-by-policy');
      const rightPort = trafficTarget(
        'p',
        { namespace: 'shop', name: 'orders', port: 80 },
        [{ namespace: 'web', name: 'frontend' }],
        httpRule,
      );
      const allowed = compile(
        snapshotOf(withAccess(base, { targets: [rightPort], routeGroups: [allHttp] })),
        true,
      );
      expect(authorise(allowed, { source: WEB, podIP: '10.0.0.5', port: 8080 }).kind).toBe('allowed');
    });

    it('admits a TCP Service’s pod by the TCPRoute’s ports', () => {
      const dbFromWeb = trafficTarget(
        'd',
        { namespace: 'shop', name: 'db' },
        [{ namespace: 'web', name: 'frontend' }],
        tcpRule,
      );
      const allows = compile(
        snapshotOf(withAccess(base, { targets: [dbFromWeb], tcpRoutes: [tcpRoute('shop', 'pg', [5432])] })),
        true,
      );
      expect(authorise(allows, { source: WEB, podIP: '10.0.0.6', port: 5432 }).kind).toBe('allowed');
      const otherPort = compile(
        snapshotOf(withAccess(base, { targets: [dbFromWeb], tcpRoutes: [tcpRoute('shop', 'pg', [5433])] })),
        true,
      );
      expect(authorise(otherPort, { source: WEB, podIP: '10.0.0.6', port: 5432 }).kind).toBe(
        'denied-by-policy',
      );
    });

    it('denies everything when no TrafficTarget exists (SMI), but still says not-on-this-node first', () => {
      const auth = compile(snapshotOf(base), true);
      expect(authorise(auth, { source: WEB, podIP: '10.0.0.5', port: 8080 }).kind).toBe('denied-by-policy');
      expect(authorise(auth, { source: WEB, podIP: '10.0.0.9', port: 8080 }).kind).toBe('not-on-this-node');
    });
  });
});
