import {
  DEFAULT_MESH_DEFAULTS,
  desiredShadowService,
  type MtlsMode,
  readUserService,
} from '@nodemesh/smi-types';
import { describe, expect, it } from 'vitest';
import { planNetworkPolicies } from './plan-network-policies.js';
import { desiredStrictPolicy, strictPolicyName } from './strict-policy.js';

const MESH = 'nodemesh';

function service(namespace: string, name: string, selector: Record<string, string> | null = { app: name }) {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { namespace, name, uid: `uid-${name}`, resourceVersion: '3' },
    spec: { ...(selector === null ? {} : { selector }), ports: [{ name: 'http', port: 80 }] },
  };
}

/** The shadow the dns-controller writes for `svc` with `mode`. */
function shadow(svc: ReturnType<typeof service>, mode: MtlsMode | undefined) {
  const read = readUserService(svc);
  if (!read.ok) throw new Error('bad test Service');
  const manifest = desiredShadowService(
    read.value,
    { trafficType: DEFAULT_MESH_DEFAULTS.trafficType },
    { allocations: [] },
    { meshNamespace: MESH, mtlsMode: mode },
  );
  return { ...manifest, metadata: { ...manifest.metadata, resourceVersion: '5' } };
}

/** A policy as the API server returns it: the manifest with a resourceVersion and uid. */
function served(policy: ReturnType<typeof desiredStrictPolicy>) {
  return { ...policy, metadata: { ...policy.metadata, resourceVersion: '9', uid: 'p-uid' } };
}

const orders = service('shop', 'orders', { app: 'orders', tier: 'backend' });
const ordersPolicy = desiredStrictPolicy(
  { namespace: 'shop', name: 'orders' },
  { app: 'orders', tier: 'backend' },
  MESH,
);

describe('planNetworkPolicies', () => {
  it('creates a policy for each strict Service: its pods admit ingress only from node-proxies', () => {
    const plan = planNetworkPolicies([shadow(orders, 'strict')], [orders], [], MESH);
    expect(plan.create).toEqual([
      {
        manifest: {
          apiVersion: 'networking.k8s.io/v1',
          kind: 'NetworkPolicy',
          metadata: {
            name: 'nodemesh-strict-orders',
            namespace: 'shop',
            labels: {
              'app.kubernetes.io/part-of': 'nodemesh',
              'app.kubernetes.io/managed-by': 'nodemesh-dns-controller',
              'nodemesh.io/mtls-strict-for': 'orders',
            },
          },
          spec: {
            podSelector: { matchLabels: { app: 'orders', tier: 'backend' } },
            policyTypes: ['Ingress'],
            ingress: [
              {
                from: [
                  {
                    namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'nodemesh' } },
                    podSelector: { matchLabels: { 'app.kubernetes.io/component': 'node-proxy' } },
                  },
                ],
              },
            ],
          },
        },
      },
    ]);
    expect([plan.update, plan.delete, plan.events]).toEqual([[], [], []]);
  });

  it('makes no policy for permissive, off, or a shadow that names no mode', () => {
    for (const mode of ['permissive', 'off', undefined] as const) {
      const plan = planNetworkPolicies([shadow(orders, mode)], [orders], [], MESH);
      expect(plan.create).toEqual([]);
    }
  });

  it('writes nothing when the policy is as wanted, whatever the key order', () => {
    const reordered = {
      ...served(ordersPolicy),
      spec: {
        policyTypes: ['Ingress'],
        ingress: ordersPolicy.spec.ingress,
        podSelector: ordersPolicy.spec.podSelector,
      },
    };
    const plan = planNetworkPolicies([shadow(orders, 'strict')], [orders], [reordered], MESH);
    expect([plan.create, plan.update, plan.delete]).toEqual([[], [], []]);
  });

  it('updates the policy when the selector changed, keeping its resourceVersion', () => {
    const moved = service('shop', 'orders', { app: 'orders-v2' });
    const plan = planNetworkPolicies([shadow(moved, 'strict')], [moved], [served(ordersPolicy)], MESH);
    expect(plan.update).toHaveLength(1);
    const body = plan.update[0]?.body as {
      metadata: { resourceVersion: string };
      spec: typeof ordersPolicy.spec;
    };
    expect(body.metadata.resourceVersion).toBe('9');
    expect(body.spec.podSelector).toEqual({ matchLabels: { app: 'orders-v2' } });
  });

  it('deletes the policy when the mode is no longer strict, or the Service is gone', () => {
    const relaxed = planNetworkPolicies(
      [shadow(orders, 'permissive')],
      [orders],
      [served(ordersPolicy)],
      MESH,
    );
    expect(relaxed.delete).toEqual([
      { namespace: 'shop', name: strictPolicyName('orders'), resourceVersion: '9' },
    ]);
    const gone = planNetworkPolicies([], [], [served(ordersPolicy)], MESH);
    expect(gone.delete).toHaveLength(1);
  });

  it('never touches a policy it does not manage, even one with its name', () => {
    const own = {
      ...served(ordersPolicy),
      metadata: { name: 'nodemesh-strict-orders', namespace: 'shop', labels: {} },
    };
    const other = {
      ...served(ordersPolicy),
      metadata: {
        name: 'allow-ingress',
        namespace: 'shop',
        labels: { 'app.kubernetes.io/managed-by': 'helm' },
      },
    };
    const plan = planNetworkPolicies([shadow(orders, 'permissive')], [orders], [own, other], MESH);
    expect([plan.create, plan.update, plan.delete]).toEqual([[], [], []]);
  });

  it('gives a strict Service without a selector a Warning, not a policy closing the whole namespace', () => {
    const manual = service('shop', 'legacy', null);
    const plan = planNetworkPolicies([shadow(manual, 'strict')], [manual], [], MESH);
    expect(plan.create).toEqual([]);
    expect(plan.events.map((e) => [e.of.name, e.uid, e.reason])).toEqual([
      ['legacy', 'uid-legacy', 'StrictWithoutSelector'],
    ]);
  });

  it('keeps the policy of a strict Service that cannot be read, as it is', () => {
    const broken = { ...orders, spec: { ...orders.spec, ports: 'many' } };
    const plan = planNetworkPolicies([shadow(orders, 'strict')], [broken], [served(ordersPolicy)], MESH);
    expect([plan.create, plan.update, plan.delete]).toEqual([[], [], []]);
  });

  it('never throws on garbage', () => {
    const garbage = [null, 1, 'x', [], { metadata: null }, { metadata: { labels: [] } }];
    expect(() => planNetworkPolicies(garbage, garbage, garbage, MESH)).not.toThrow();
  });
});
