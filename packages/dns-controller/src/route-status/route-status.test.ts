import { type MeshRoute, parseGatewayResource, type ReferenceGrant } from '@nodemesh/smi-types';
import { describe, expect, it } from 'vitest';
import { MESH_CONTROLLER_NAME, routeParentStatuses, type ServiceView } from './route-conditions.js';
import { nextRouteStatus } from './status-update.js';

function parse<T>(raw: Record<string, unknown>, kind: 'HTTPRoute' | 'TCPRoute' | 'ReferenceGrant'): T {
  const parsed = parseGatewayResource(raw, kind);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
  return parsed.value as T;
}

const route = (spec: Record<string, unknown>, kind: 'HTTPRoute' | 'TCPRoute' = 'HTTPRoute') =>
  parse<MeshRoute>({ kind, metadata: { name: 'r', namespace: 'shop', generation: 4 }, spec }, kind);

const http: ServiceView = { ports: [{ port: 80, protocol: 'TCP' }], trafficType: 'http' };
const services = new Map<string, ServiceView>([
  ['shop/orders', http],
  ['shop/v2', http],
  ['other/v3', http],
  ['shop/db', { ports: [{ port: 5432, protocol: 'TCP' }], trafficType: 'tcp' }],
]);
const parent = (name = 'orders', extra: Record<string, unknown> = {}) => ({
  group: '',
  kind: 'Service',
  name,
  ...extra,
});

function conditions(r: MeshRoute, grants: ReferenceGrant[] = []) {
  return routeParentStatuses(r, { services, grants }).map((p) =>
    Object.fromEntries(p.conditions.map((c) => [c.type, `${c.status} ${c.reason}`])),
  );
}

describe('route conditions', () => {
  it('accepts a route on an existing Service whose backends resolve', () => {
    const statuses = routeParentStatuses(
      route({
        parentRefs: [parent('orders', { port: 80 })],
        rules: [{ backendRefs: [{ name: 'v2', port: 80 }] }],
      }),
      {
        services,
        grants: [],
      },
    );
    expect(statuses).toEqual([
      {
        parentRef: { group: '', kind: 'Service', name: 'orders', port: 80 },
        controllerName: MESH_CONTROLLER_NAME,
        conditions: [
          {
            type: 'Accepted',
            status: 'True',
            reason: 'Accepted',
            message: 'attached to the Service',
            observedGeneration: 4,
          },
          {
            type: 'ResolvedRefs',
            status: 'True',
            reason: 'ResolvedRefs',
            message: 'every backendRef resolved',
            observedGeneration: 4,
          },
        ],
      },
    ]);
  });

  it('says why a parent does not take the route', () => {
    expect(conditions(route({ parentRefs: [parent('missing')] }))[0]?.Accepted).toBe(
      'False NoMatchingParent',
    );
    expect(conditions(route({ parentRefs: [parent('orders', { port: 81 })] }))[0]?.Accepted).toBe(
      'False NoMatchingParent',
    );
    expect(conditions(route({ parentRefs: [parent('db')] }))[0]?.Accepted).toBe('False NoMatchingParent');
    expect(
      conditions(
        route(
          { parentRefs: [parent('db')], rules: [{ backendRefs: [{ name: 'db', port: 5432 }] }] },
          'TCPRoute',
        ),
      )[0]?.Accepted,
    ).toBe('True Accepted');
    const mirror = route({
      parentRefs: [parent()],
      rules: [{ filters: [{ type: 'RequestMirror', requestMirror: {} }] }],
    });
    expect(conditions(mirror)[0]?.Accepted).toBe('False UnsupportedValue');
  });

  it('reports backendRefs: missing, of another kind, or across namespaces without a grant', () => {
    const refs = (backendRefs: unknown[]) =>
      conditions(route({ parentRefs: [parent()], rules: [{ backendRefs }] }))[0]?.ResolvedRefs;
    expect(refs([{ name: 'nowhere', port: 80 }])).toBe('False BackendNotFound');
    expect(refs([{ name: 'v2', port: 81 }])).toBe('False BackendNotFound');
    expect(refs([{ group: 'example.com', kind: 'Bucket', name: 'b' }])).toBe('False InvalidKind');
    expect(refs([{ name: 'v3', namespace: 'other', port: 80 }])).toBe('False RefNotPermitted');
    const grant = parse<ReferenceGrant>(
      {
        kind: 'ReferenceGrant',
        metadata: { name: 'g', namespace: 'other' },
        spec: {
          from: [{ group: 'gateway.networking.k8s.io', kind: 'HTTPRoute', namespace: 'shop' }],
          to: [{ group: '', kind: 'Service' }],
        },
      },
      'ReferenceGrant',
    );
    const granted = conditions(
      route({
        parentRefs: [parent()],
        rules: [{ backendRefs: [{ name: 'v3', namespace: 'other', port: 80 }] }],
      }),
      [grant],
    );
    expect(granted[0]?.ResolvedRefs).toBe('True ResolvedRefs');
  });

  it('leaves routes with no Service parent to other controllers', () => {
    expect(routeParentStatuses(route({ parentRefs: [{ name: 'gw' }] }), { services, grants: [] })).toEqual(
      [],
    );
  });
});

describe('nextRouteStatus', () => {
  const desired = routeParentStatuses(route({ parentRefs: [parent()] }), { services, grants: [] });
  const t1 = new Date('2026-01-01T00:00:00.123Z');
  const t2 = new Date('2026-01-02T00:00:00Z');

  it("keeps other controllers' entries and writes ours with transition times", () => {
    const gateway = { parentRef: { name: 'gw' }, controllerName: 'example.com/gateway', conditions: [] };
    const next = nextRouteStatus({ parents: [gateway] }, desired, t1);
    expect(next?.parents[0]).toEqual(gateway);
    expect(next?.parents[1]).toMatchObject({ controllerName: MESH_CONTROLLER_NAME });
    expect(
      ((next?.parents[1]?.conditions ?? []) as { lastTransitionTime: string }[])[0]?.lastTransitionTime,
    ).toBe('2026-01-01T00:00:00Z');
  });

  it('removes our entries from a route no longer attached to a Service, and leaves other routes alone', () => {
    const gateway = { parentRef: { name: 'gw' }, controllerName: 'example.com/gateway', conditions: [] };
    const written = nextRouteStatus({ parents: [gateway] }, desired, t1);
    expect(nextRouteStatus(written, [], t2)).toEqual({ parents: [gateway] });
    expect(nextRouteStatus({ parents: [gateway] }, [], t2)).toBeUndefined();
    expect(nextRouteStatus(undefined, [], t2)).toBeUndefined();
  });

  it('writes nothing when status already says it, and keeps a transition time while the status holds', () => {
    const written = nextRouteStatus(undefined, desired, t1);
    expect(nextRouteStatus(written, desired, t2)).toBeUndefined();
    const rejected = routeParentStatuses(
      route({ parentRefs: [parent()], rules: [{ backendRefs: [{ name: 'gone', port: 80 }] }] }),
      {
        services,
        grants: [],
      },
    );
    const changed = nextRouteStatus(written, rejected, t2);
    const times = (
      (changed?.parents[0]?.conditions ?? []) as { type: string; lastTransitionTime: string }[]
    ).map((c) => [c.type, c.lastTransitionTime]);
    expect(times).toEqual([
      ['Accepted', '2026-01-01T00:00:00Z'],
      ['ResolvedRefs', '2026-01-02T00:00:00Z'],
    ]);
  });
});
