import { describe, expect, it } from 'vitest';
import { BASE_COREFILE, healthy, meshPod, NOW, probed } from './check-fixtures.js';
import { meshChecks } from './mesh-checks.js';
import type { MeshObservation } from './observation.js';

const failing = (o: MeshObservation) => meshChecks(o).filter((r) => r.status === 'fail');

describe('meshChecks', () => {
  it('passes a healthy mesh (an unschedulable node needs no proxy)', () => {
    expect(failing(healthy())).toEqual([]);
    expect(meshChecks(healthy()).map((r) => r.title)).toContain(
      'node-proxy ready on 2 of 2 schedulable nodes',
    );
  });

  it('reports a proxy that does not answer, and a node without a proxy, each with its fix', () => {
    const o = { ...healthy(), proxyPods: [probed(meshPod('proxy-1', 'n1'), false)] };
    const results = failing(o);
    expect(results.map((r) => r.title)).toEqual([
      'node-proxy on node n1 not ready',
      'no node-proxy on node n2',
    ]);
    expect(results[0]?.detail).toContain('ECONNREFUSED');
    expect(results[0]?.fix).toContain('kubectl -n nodemesh logs proxy-1');
  });

  it('reports the DNS block removed', () => {
    const o = {
      ...healthy(),
      clusterDnsConfigMaps: new Map([['coredns', { data: { Corefile: BASE_COREFILE } }]]),
    };
    const [result] = failing(o);
    expect(result?.title).toBe('the forward block for "mesh" is missing or stale in kube-system/coredns');
    expect(result?.fix).toContain('logs -l app.kubernetes.io/component=dns-controller');
  });

  it('reports an orphaned shadow and a Service without one', () => {
    const shadow = {
      metadata: {
        name: 'gone-3f2a',
        namespace: 'nodemesh',
        labels: {
          'app.kubernetes.io/part-of': 'nodemesh',
          'nodemesh.io/shadow-of-namespace': 'shop',
          'nodemesh.io/shadow-of-name': 'gone',
        },
      },
      spec: { ports: [{ name: 'http', port: 80, targetPort: 5000, protocol: 'TCP' }] },
    };
    const user = {
      metadata: { name: 'orders', namespace: 'shop', uid: 'u1' },
      spec: { selector: { app: 'orders' }, ports: [{ name: 'http', port: 80, protocol: 'TCP' }] },
    };
    const results = failing({ ...healthy(), services: [shadow, user] });
    expect(results.map((r) => r.title)).toEqual([
      'Service shop/orders has no shadow Service',
      'orphaned shadow Service nodemesh/gone-3f2a',
    ]);
    expect(results[1]?.detail).toContain('shop/gone is gone');
    expect(results[1]?.fix).toContain('kubectl -n nodemesh delete service gone-3f2a');
  });

  it('reports no leader when the Lease expired or its holder is not a ready pod', () => {
    const expired = {
      ...healthy(),
      lease: {
        spec: {
          holderIdentity: 'dns-a',
          renewTime: new Date(NOW - 60_000).toISOString(),
          leaseDurationSeconds: 15,
        },
      },
    };
    expect(failing(expired).map((r) => r.title)).toEqual([
      'no leader: dns-a last renewed Lease nodemesh/nodemesh-dns-controller 60 s ago (expires after 15 s)',
    ]);
    const stranger = {
      ...healthy(),
      lease: {
        spec: {
          holderIdentity: 'elsewhere',
          renewTime: new Date(NOW).toISOString(),
          leaseDurationSeconds: 15,
        },
      },
    };
    expect(failing(stranger).map((r) => r.title)).toEqual([
      'the leader elsewhere is not a ready dns-controller pod',
    ]);
  });

  it('fails missing CRDs and too few replicas; warns on recent configuration Events only', () => {
    const o: MeshObservation = {
      ...healthy(),
      crds: new Map([['trafficsplits.split.smi-spec.io', undefined]]),
      controllerPods: [probed(meshPod('dns-a', 'n1'))],
      events: [
        {
          type: 'Warning',
          reason: 'InvalidAnnotations',
          message: 'bad',
          reportingComponent: 'nodemesh-dns-controller',
          involvedObject: { kind: 'Service', namespace: 'shop', name: 'orders' },
          lastTimestamp: new Date(NOW - 60_000).toISOString(),
        },
        {
          type: 'Warning',
          reason: 'Old',
          message: 'old',
          source: { component: 'nodemesh-proxy' },
          involvedObject: { kind: 'Service', namespace: 'shop', name: 'x' },
          lastTimestamp: new Date(NOW - 2 * 3600_000).toISOString(),
        },
        {
          type: 'Warning',
          reason: 'Other',
          message: 'not ours',
          source: { component: 'kubelet' },
          involvedObject: { kind: 'Pod', name: 'p' },
          lastTimestamp: new Date(NOW).toISOString(),
        },
      ],
    };
    const results = meshChecks(o);
    expect(failing(o).map((r) => r.title)).toEqual([
      'SMI CRDs missing: trafficsplits.split.smi-spec.io',
      'dns-controller replicas ready: 1/2',
    ]);
    expect(results.filter((r) => r.status === 'warn').map((r) => r.title)).toEqual([
      'Service shop/orders: InvalidAnnotations',
    ]);
  });
});
