import type { HTTPRouteGroup, TrafficTarget } from '@nodemesh/smi-types';
import { describe, expect, it } from 'vitest';
import type { MeshServiceInput, TopologyInputs } from '../topology/inputs.js';
import { createTopologyBuilder } from '../topology/topology-builder.js';
import { type AccessQuery, checkAccess } from './access-policy.js';
import { compileAccessPolicy } from './compile-access-policy.js';

const service = (name: string, serviceAccounts: string[]): MeshServiceInput => ({
  namespace: 'shop',
  name,
  config: {
    trafficType: 'http',
    scheme: 'http',
    retry: undefined,
    timeoutMs: undefined,
    circuitBreaker: undefined,
    rateLimit: undefined,
  },
  ports: [{ name: '', port: 80, protocol: 'TCP' }],
  serviceAccounts,
});

const target = (rules: TrafficTarget['rules'], port?: number): TrafficTarget => ({
  kind: 'TrafficTarget',
  apiVersion: 'access.smi-spec.io/v1alpha3',
  namespace: 'shop',
  name: 't',
  destination: {
    kind: 'ServiceAccount',
    namespace: 'shop',
    name: 'orders',
    ...(port === undefined ? {} : { port }),
  },
  sources: [{ kind: 'ServiceAccount', namespace: 'web', name: 'frontend' }],
  rules,
});

function inputs(targets: TrafficTarget[], services = [service('orders', ['orders'])]): TopologyInputs {
  return {
    meshDomain: 'mesh',
    services: new Map(services.map((s) => [`shop/${s.name}`, s])),
    endpoints: new Map(),
    trafficSplits: [],
    httpRouteGroups: new Map<string, HTTPRouteGroup>([
      [
        'shop/g',
        {
          kind: 'HTTPRouteGroup',
          apiVersion: 'specs.smi-spec.io/v1alpha4',
          namespace: 'shop',
          name: 'g',
          matches: [
            { name: 'api', pathRegex: '/api(/.*)?', methods: ['GET'], headers: { 'x-v': '1|2' } },
            { name: 'health', pathRegex: '/healthz$', methods: ['*'], headers: {} },
          ],
        },
      ],
    ]),
    trafficTargets: targets,
    tcpRoutes: new Map([
      [
        'shop/any',
        {
          kind: 'TCPRoute',
          apiVersion: 'specs.smi-spec.io/v1alpha3',
          namespace: 'shop',
          name: 'any',
          matches: [],
        },
      ],
    ]),
  };
}

const frontend = { namespace: 'web', workload: 'frontend', serviceAccount: 'frontend' };
const query = (over: Partial<AccessQuery> = {}): AccessQuery => ({
  serviceKey: 'shop/orders',
  port: 80,
  protocol: 'http',
  caller: frontend,
  request: { method: 'GET', path: '/api/x', headers: { 'x-v': '2' } },
  ...over,
});
const decide = (targets: TrafficTarget[], over: Partial<AccessQuery> = {}) =>
  checkAccess(compileAccessPolicy(inputs(targets)).policy, query(over));

describe('checkAccess', () => {
  it('denies with the reason: unknown source, no target, other source, no matching rule', () => {
    const all = target([{ kind: 'HTTPRouteGroup', name: 'g', matches: [] }]);
    expect(decide([all], { caller: undefined })).toEqual({ allowed: false, reason: 'unknown_source' });
    expect(decide([])).toEqual({ allowed: false, reason: 'no_traffic_target' });
    expect(decide([all], { caller: { ...frontend, serviceAccount: 'crawler' } })).toEqual({
      allowed: false,
      reason: 'source_not_allowed',
    });
    expect(decide([all], { request: { method: 'POST', path: '/api', headers: { 'x-v': '1' } } })).toEqual({
      allowed: false,
      reason: 'no_matching_rule',
    });
    expect(decide([all])).toEqual({ allowed: true, target: 'shop/t' });
  });

  it('a target with no rules allows nothing', () => {
    expect(decide([target([])])).toMatchObject({ allowed: false, reason: 'no_matching_rule' });
  });

  it('ANDs inside a match and ORs across matches; a rule may name a subset', () => {
    const health = target([{ kind: 'HTTPRouteGroup', name: 'g', matches: ['health'] }]);
    expect(decide([health])).toMatchObject({ allowed: false });
    const ok = { method: 'DELETE', path: '/healthz', headers: {} };
    expect(decide([health], { request: ok })).toMatchObject({ allowed: true });
    const all = target([{ kind: 'HTTPRouteGroup', name: 'g', matches: [] }]);
    expect(
      decide([all], { request: { method: 'GET', path: '/api', headers: { 'x-v': '3' } } }),
    ).toMatchObject({
      allowed: false,
    });
    expect(decide([all], { request: ok })).toMatchObject({ allowed: true });
  });

  it('honours destination.port and keeps HTTP rules off TCP and TCPRoutes off HTTP', () => {
    const http = [{ kind: 'HTTPRouteGroup' as const, name: 'g', matches: [] }];
    expect(decide([target(http, 8080)])).toMatchObject({ allowed: false });
    expect(decide([target(http, 80)])).toMatchObject({ allowed: true });
    const tcp = target([{ kind: 'TCPRoute', name: 'any', matches: [] }]);
    expect(decide([tcp], { protocol: 'tcp' })).toMatchObject({ allowed: true });
    expect(decide([tcp])).toMatchObject({ allowed: false });
    expect(decide([target(http)], { protocol: 'tcp' })).toMatchObject({ allowed: false });
  });

  it('reports rules naming missing routes or matches', () => {
    const { problems } = compileAccessPolicy(
      inputs([
        target([
          { kind: 'HTTPRouteGroup', name: 'nope', matches: [] },
          { kind: 'HTTPRouteGroup', name: 'g', matches: ['x'] },
        ]),
      ]),
    );
    expect(problems.map((p) => [p.kind, p.name, p.reason])).toEqual([
      ['TrafficTarget', 't', 'RouteNotFound'],
      ['TrafficTarget', 't', 'MatchNotFound'],
    ]);
  });

  it('reports a match that does not compile on its HTTPRouteGroup, not on the target or a Service', () => {
    const withBadGroup = inputs([
      { ...target([{ kind: 'HTTPRouteGroup', name: 'bad', matches: [] }]), uid: 'target-uid' },
    ]);
    const groups = new Map(withBadGroup.httpRouteGroups);
    groups.set('shop/bad', {
      kind: 'HTTPRouteGroup',
      apiVersion: 'specs.smi-spec.io/v1alpha4',
      namespace: 'shop',
      name: 'bad',
      uid: 'group-uid',
      matches: [{ name: 'broken', pathRegex: '(', methods: [], headers: {} }],
    });
    const { problems } = compileAccessPolicy({ ...withBadGroup, httpRouteGroups: groups });
    expect(problems.map((p) => [p.kind, p.name, p.uid, p.reason])).toEqual([
      ['HTTPRouteGroup', 'bad', 'group-uid', 'InvalidMatch'],
    ]);
  });
});

describe('the builder', () => {
  it('compiles the policy into the snapshot and reuses it while its inputs are the same objects', () => {
    const builder = createTopologyBuilder();
    const targets = [target([{ kind: 'HTTPRouteGroup', name: 'g', matches: [] }])];
    builder.build(inputs(targets));
    expect(builder.accessPolicyRebuilt).toBe(true);
    const orders = service('orders', ['orders']);
    const stable = inputs(targets, [orders]);
    builder.build(stable);
    const second = builder.build({ ...stable });
    expect(builder.accessPolicyRebuilt).toBe(false);
    expect(checkAccess(second.access, query())).toMatchObject({ allowed: true });
    builder.build({ ...stable, trafficTargets: [] });
    expect(builder.accessPolicyRebuilt).toBe(true);
  });
});
