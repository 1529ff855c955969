import { type MeshRoute, parseGatewayResource, type TrafficTarget } from '@nodemesh/smi-types';
import { describe, expect, it } from 'vitest';
import { meshService, readyEndpoints, split, topologyInputs } from '../../test/fixtures.js';
import type { Snapshot } from '../snapshot/snapshot.js';
import type { MeshServiceInput, TopologyInputs } from '../topology/inputs.js';
import { createTopologyBuilder } from '../topology/topology-builder.js';
import { type Admission, readmit } from './admission.js';

const frontend = { namespace: 'web', workload: 'frontend', serviceAccount: 'frontend' };
const withSa = (s: MeshServiceInput, sa: string): MeshServiceInput => ({ ...s, serviceAccounts: [sa] });
const orders = withSa(meshService('shop', 'orders', [{ port: 80, targetPort: 5000 }]), 'orders');
const ordersV2 = withSa(meshService('shop', 'orders-v2', [{ port: 80, targetPort: 5000 }]), 'orders');
const db = withSa(
  meshService('shop', 'db', [{ port: 5432, targetPort: 10000 }], { trafficType: 'tcp' }),
  'db',
);
const target = (name: string, destination: string, kind: 'HTTPRouteGroup' | 'TCPRoute'): TrafficTarget => ({
  kind: 'TrafficTarget',
  apiVersion: 'access.smi-spec.io/v1alpha3',
  namespace: 'shop',
  name,
  destination: { kind: 'ServiceAccount', namespace: 'shop', name: destination },
  sources: [{ kind: 'ServiceAccount', namespace: 'web', name: 'frontend' }],
  rules: [{ kind, name: kind === 'TCPRoute' ? 'raw' : 'all', matches: [] }],
});

function inputs(parts: {
  endpoints?: number;
  targets?: TrafficTarget[];
  withDb?: boolean;
  v2?: boolean;
}): TopologyInputs {
  const base = topologyInputs({
    services: [orders, ordersV2, ...(parts.withDb === false ? [] : [db])],
    endpoints: {
      'shop/orders': readyEndpoints([{ address: '10.0.0.1', port: parts.endpoints ?? 8080 }]),
      'shop/orders-v2': readyEndpoints([{ address: '10.0.0.2', port: 8080 }]),
      'shop/db': readyEndpoints([{ address: '10.0.0.3', port: 5432 }]),
    },
    splits: parts.v2 === true ? [split('shop', 's', 'orders', [['orders-v2', 1]])] : [],
    routeGroups: [
      {
        kind: 'HTTPRouteGroup',
        apiVersion: 'v',
        namespace: 'shop',
        name: 'all',
        matches: [{ name: 'any', methods: ['*'], headers: {} }],
      },
    ],
  });
  return {
    ...base,
    trafficTargets: parts.targets ?? [
      target('t-http', 'orders', 'HTTPRouteGroup'),
      target('t-tcp', 'db', 'TCPRoute'),
    ],
    tcpRoutes: new Map([
      ['shop/raw', { kind: 'TCPRoute', apiVersion: 'v', namespace: 'shop', name: 'raw', matches: [] }],
    ]),
  };
}

function websocket(snapshot: Snapshot, backend = 'orders', endpointKey = '10.0.0.1:8080'): Admission {
  const route = snapshot.http.get(5000)?.hosts.get('orders.shop.mesh');
  if (route === undefined) throw new Error('no route');
  return {
    protocol: 'websocket',
    listenerPort: 5000,
    host: 'Orders.Shop.Mesh:80',
    request: { method: 'GET', path: '/ws', headers: {} },
    backend: { namespace: 'shop', name: backend },
    endpointKey,
    caller: frontend,
    route,
    access: snapshot.access,
  };
}

describe('readmit', () => {
  const builder = createTopologyBuilder();
  const first = builder.build(inputs({}));

  it('admits while nothing it depends on changed, and remembers the newer route', () => {
    const admission = websocket(first);
    expect(readmit(first, true, admission)).toMatchObject({ admitted: true });
    const other = builder.build(inputs({ endpoints: 8080, withDb: false }));
    const result = readmit(other, true, admission);
    expect(result).toMatchObject({ admitted: true });
  });

  it('revokes when the endpoint left, the route went, or access control no longer allows', () => {
    const admission = websocket(first);
    expect(readmit(builder.build(inputs({ endpoints: 9090 })), false, admission)).toEqual({
      admitted: false,
      reason: 'endpoint_gone',
    });
    const noOrders = inputs({});
    const services = new Map(noOrders.services);
    services.delete('shop/orders');
    expect(readmit(builder.build({ ...noOrders, services }), false, admission)).toEqual({
      admitted: false,
      reason: 'route_gone',
    });
    const denied = builder.build(inputs({ targets: [] }));
    expect(readmit(denied, true, admission)).toEqual({ admitted: false, reason: 'access_denied' });
    expect(readmit(denied, false, admission)).toMatchObject({ admitted: true });
  });

  it('a connection to a split backend is revoked when the split no longer has it', () => {
    const withSplit = builder.build(inputs({ v2: true }));
    const admission = websocket(withSplit, 'orders-v2', '10.0.0.2:8080');
    expect(readmit(builder.build(inputs({ v2: true, endpoints: 7070 })), false, admission)).toMatchObject({
      admitted: true,
    });
    expect(readmit(builder.build(inputs({})), false, admission)).toEqual({
      admitted: false,
      reason: 'route_gone',
    });
  });

  it('TCP: by listener port, with the TCPRoute grant', () => {
    const route = first.tcp.get(10000);
    if (route === undefined) throw new Error('no tcp route');
    const admission: Admission = {
      protocol: 'tcp',
      listenerPort: 10000,
      backend: { namespace: 'shop', name: 'db' },
      endpointKey: '10.0.0.3:5432',
      caller: frontend,
      route,
      access: first.access,
    };
    expect(readmit(builder.build(inputs({ endpoints: 1 })), true, admission)).toMatchObject({
      admitted: true,
    });
    expect(
      readmit(
        builder.build(inputs({ targets: [target('t-http', 'orders', 'HTTPRouteGroup')] })),
        true,
        admission,
      ),
    ).toEqual({
      admitted: false,
      reason: 'access_denied',
    });
    expect(readmit(builder.build(inputs({ withDb: false })), true, admission)).toEqual({
      admitted: false,
      reason: 'route_gone',
    });
  });
  it('a connection a Gateway API route sent stays while the route still leads to its backend, not longer', () => {
    const dbB = withSa(
      meshService('shop', 'db-b', [{ port: 5432, targetPort: 10001 }], { trafficType: 'tcp' }),
      'db',
    );
    const route = (kind: 'HTTPRoute' | 'TCPRoute', parent: string, port: number, backend: string) => {
      const parsed = parseGatewayResource(
        {
          kind,
          metadata: { name: `to-${backend}`, namespace: 'shop', creationTimestamp: '2026-01-01T00:00:00Z' },
          spec: {
            parentRefs: [{ group: '', kind: 'Service', name: parent, port }],
            rules: [{ backendRefs: [{ name: backend, port }] }],
          },
        },
        kind,
      );
      if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
      return parsed.value as MeshRoute;
    };
    const routes = [route('HTTPRoute', 'orders', 80, 'orders-v2'), route('TCPRoute', 'db', 5432, 'db-b')];
    const withRoutes = (parts: { endpoints?: number; routes: MeshRoute[] }): TopologyInputs => {
      const base = inputs({ ...(parts.endpoints === undefined ? {} : { endpoints: parts.endpoints }) });
      const services = new Map(base.services).set('shop/db-b', dbB);
      const endpoints = new Map(base.endpoints).set(
        'shop/db-b',
        readyEndpoints([{ address: '10.0.0.4', port: 5432 }]),
      );
      return { ...base, services, endpoints, meshRoutes: parts.routes };
    };
    const routed = builder.build(withRoutes({ routes }));
    const tunnel = websocket(routed, 'orders-v2', '10.0.0.2:8080');
    const tcpRoute = routed.tcp.get(10000);
    if (tcpRoute === undefined) throw new Error('no tcp route');
    const connection: Admission = {
      protocol: 'tcp',
      listenerPort: 10000,
      backend: { namespace: 'shop', name: 'db-b' },
      endpointKey: '10.0.0.4:5432',
      caller: frontend,
      route: tcpRoute,
      access: routed.access,
    };
    // The routes are rebuilt (the root's endpoints changed) but still send both where they went.
    const rebuilt = builder.build(withRoutes({ endpoints: 7070, routes }));
    expect(rebuilt.tcp.get(10000)).not.toBe(tcpRoute);
    expect(readmit(rebuilt, true, tunnel)).toMatchObject({ admitted: true });
    expect(readmit(rebuilt, true, connection)).toMatchObject({ admitted: true });
    // Without the routes the ports lead to their root Services only.
    const gone = builder.build(withRoutes({ routes: [] }));
    expect(readmit(gone, true, tunnel)).toEqual({ admitted: false, reason: 'route_gone' });
    expect(readmit(gone, true, connection)).toEqual({ admitted: false, reason: 'route_gone' });
  });
});
