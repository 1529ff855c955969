import {
  DEFAULT_MESH_DEFAULTS,
  shadowLabels,
  shadowSelectorForProxies,
  shadowServiceName,
} from '@nodemesh/smi-types';
import { describe, expect, it } from 'vitest';
import { planShadowChanges, type ShadowPlanConfig } from './plan-shadow-changes.js';

const config: ShadowPlanConfig = {
  meshNamespace: 'nodemesh',
  watchNamespaces: [],
  ignoreNamespaces: ['kube-system'],
  defaults: DEFAULT_MESH_DEFAULTS,
  tcpRange: { first: 10000, last: 10009 },
  udpRange: { first: 15000, last: 15009 },
  httpEntrypoints: 10,
};

interface PortSpec {
  name?: string;
  port: number;
  protocol?: string;
}

function service(ns: string, name: string, ports: PortSpec[], annotations: Record<string, string> = {}) {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { namespace: ns, name, uid: `uid-${name}`, resourceVersion: '1', annotations },
    spec: { type: 'ClusterIP', clusterIP: '10.96.1.1', clusterIPs: ['10.96.1.1'], ports },
  };
}

function shadow(
  ns: string,
  name: string,
  trafficType: string,
  ports: { name: string; port: number; targetPort: number; protocol?: string }[],
  shadowName = shadowServiceName(ns, name),
) {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      namespace: 'nodemesh',
      name: shadowName,
      resourceVersion: '7',
      labels: shadowLabels({ namespace: ns, name }),
      annotations: { 'nodemesh.io/traffic-type': trafficType },
    },
    spec: {
      type: 'ClusterIP',
      clusterIP: '10.96.0.50',
      clusterIPs: ['10.96.0.50'],
      selector: shadowSelectorForProxies(),
      internalTrafficPolicy: 'Local',
      ports: ports.map((p) => ({ protocol: 'TCP', ...p })),
    },
  };
}

const tcp = { 'nodemesh.io/traffic-type': 'tcp' };

describe('planShadowChanges', () => {
  it('creates the shadow of a new HTTP Service on the entrypoints, nothing else', () => {
    const plan = planShadowChanges([service('shop', 'orders', [{ name: 'web', port: 80 }])], [], config);
    expect(plan.update).toEqual([]);
    expect(plan.delete).toEqual([]);
    expect(plan.events).toEqual([]);
    expect(plan.create).toHaveLength(1);
    const manifest = plan.create[0]?.manifest;
    expect(manifest?.metadata.name).toBe(shadowServiceName('shop', 'orders'));
    expect(manifest?.metadata.namespace).toBe('nodemesh');
    expect(manifest?.spec.internalTrafficPolicy).toBe('Local');
    expect(manifest?.spec.ports).toEqual([{ name: 'web', protocol: 'TCP', port: 80, targetPort: 5000 }]);
  });

  it('allocates TCP and UDP ports from the ranges', () => {
    const plan = planShadowChanges(
      [
        service('a', 'db', [{ name: 'pg', port: 5432 }], tcp),
        service('b', 'dns', [{ name: 'dns', port: 53, protocol: 'UDP' }]),
      ],
      [],
      config,
    );
    const ports = plan.create.map((c) => c.manifest.spec.ports[0]?.targetPort);
    expect(ports).toEqual([10000, 15000]);
    expect(plan.allocations).toHaveLength(2);
  });

  it('keeps the allocations recorded in existing shadows (a restart moves nothing)', () => {
    const plan = planShadowChanges(
      [
        service('a', 'db', [{ name: 'pg', port: 5432 }], tcp),
        service('a', 'cache', [{ name: 'redis', port: 6379 }], tcp),
      ],
      [
        shadow('a', 'db', 'tcp', [{ name: 'pg', port: 5432, targetPort: 10007 }]),
        shadow('a', 'cache', 'tcp', [{ name: 'redis', port: 6379, targetPort: 10003 }]),
      ],
      config,
    );
    expect(plan.create).toEqual([]);
    expect(plan.update).toEqual([]);
    expect(plan.delete).toEqual([]);
    expect(plan.allocations.map((a) => a.proxyPort).sort()).toEqual([10003, 10007]);
  });

  it('updates a shadow whose ports changed, keeping its ClusterIP and resourceVersion', () => {
    const plan = planShadowChanges(
      [service('shop', 'orders', [{ name: 'web', port: 8080 }])],
      [shadow('shop', 'orders', 'http', [{ name: 'web', port: 80, targetPort: 5000 }])],
      config,
    );
    expect(plan.create).toEqual([]);
    expect(plan.update).toHaveLength(1);
    const body = plan.update[0]?.body as ReturnType<typeof shadow>;
    expect(body.metadata.resourceVersion).toBe('7');
    expect(body.spec.clusterIP).toBe('10.96.0.50');
    expect(body.spec.ports).toEqual([{ name: 'web', protocol: 'TCP', port: 8080, targetPort: 5000 }]);
  });

  it('deletes the shadows of deleted or no longer meshed Services', () => {
    const plan = planShadowChanges(
      [
        { ...service('shop', 'ext', []), spec: { type: 'ExternalName', externalName: 'example.org' } },
        service('kube-system', 'dns', [{ port: 53 }]),
      ],
      [
        shadow('shop', 'gone', 'http', [{ name: 'web', port: 80, targetPort: 5000 }]),
        shadow('shop', 'ext', 'http', [{ name: 'web', port: 80, targetPort: 5000 }]),
        shadow('kube-system', 'dns', 'http', [{ name: 'p53', port: 53, targetPort: 5000 }]),
      ],
      config,
    );
    expect(plan.create).toEqual([]);
    expect(plan.delete.map((d) => [d.name, d.reason, d.resourceVersion])).toEqual([
      [shadowServiceName('shop', 'gone'), 'orphaned', '7'],
      [shadowServiceName('shop', 'ext'), 'orphaned', '7'],
      [shadowServiceName('kube-system', 'dns'), 'orphaned', '7'],
    ]);
  });

  it('honours watchNamespaces and never meshes the mesh namespace', () => {
    const plan = planShadowChanges(
      [
        service('shop', 'orders', [{ port: 80 }]),
        service('other', 'orders', [{ port: 80 }]),
        service('nodemesh', 'nodemesh-dns', [{ port: 53 }]),
      ],
      [],
      { ...config, watchNamespaces: ['shop'] },
    );
    expect(plan.create.map((c) => c.of)).toEqual([{ namespace: 'shop', name: 'orders' }]);
  });

  it('keeps the last good shadow and warns when the annotations are invalid', () => {
    const existing = shadow('shop', 'db', 'tcp', [{ name: 'pg', port: 5432, targetPort: 10004 }]);
    const plan = planShadowChanges(
      [
        service('shop', 'db', [{ name: 'pg', port: 5432 }], { 'nodemesh.io/traffic-type': 'sctp' }),
        service('shop', 'new', [{ name: 'pg', port: 5432 }], tcp),
      ],
      [existing],
      config,
    );
    expect(plan.update).toEqual([]);
    expect(plan.delete).toEqual([]);
    // The kept shadow's port stays taken: the new Service gets the lowest other one.
    expect(plan.create.map((c) => c.manifest.spec.ports[0]?.targetPort)).toEqual([10000]);
    expect(plan.allocations.find((a) => a.of.name === 'db')?.proxyPort).toBe(10004);
    expect(plan.events).toHaveLength(1);
    expect(plan.events[0]).toMatchObject({
      of: { namespace: 'shop', name: 'db' },
      uid: 'uid-db',
      type: 'Warning',
      reason: 'InvalidAnnotations',
    });
    expect(plan.events[0]?.message).toContain('metadata.annotations["nodemesh.io/traffic-type"]');
    expect(plan.events[0]?.message).toContain('"sctp"');
  });

  it('creates nothing for a Service with bad annotations that never had a shadow', () => {
    const plan = planShadowChanges(
      [service('shop', 'web', [{ port: 80 }], { 'nodemesh.io/retry-attempts': 'many' })],
      [],
      config,
    );
    expect(plan.create).toEqual([]);
    expect(plan.events.map((e) => e.reason)).toEqual(['InvalidAnnotations']);
  });

  it('keeps the shadow of a Service that cannot be read, with a Warning', () => {
    const broken = { ...service('shop', 'web', []), spec: { ports: [{ port: 'eighty' }] } };
    const plan = planShadowChanges(
      [broken],
      [shadow('shop', 'web', 'http', [{ name: 'p80', port: 80, targetPort: 5000 }])],
      config,
    );
    expect(plan.delete).toEqual([]);
    expect(plan.events[0]?.reason).toBe('InvalidService');
    expect(plan.events[0]?.message).toContain('spec.ports[0].port');
  });

  it('reports exhaustion for the Service that does not fit, alone', () => {
    const plan = planShadowChanges(
      [
        service('a', 'one', [{ name: 'x', port: 1 }], tcp),
        service('b', 'two', [{ name: 'x', port: 1 }], tcp),
        service('c', 'web', [{ name: 'web', port: 80 }]),
      ],
      [],
      { ...config, tcpRange: { first: 10000, last: 10000 } },
    );
    expect(plan.create.map((c) => c.of.name)).toEqual(['one', 'web']);
    expect(plan.events).toEqual([
      {
        of: { namespace: 'b', name: 'two' },
        uid: 'uid-two',
        type: 'Warning',
        reason: 'PortRangeExhausted',
        message: 'needs 1 more TCP port but 0 are free in 10000-10000',
      },
    ]);
  });

  it('does not create a shadow without ports, and deletes an old one', () => {
    const plan = planShadowChanges(
      [service('a', 'sctp', [{ name: 's', port: 9, protocol: 'SCTP' }]), service('a', 'none', [])],
      [shadow('a', 'sctp', 'http', [{ name: 's', port: 9, targetPort: 5000 }])],
      config,
    );
    expect(plan.create).toEqual([]);
    expect(plan.delete.map((d) => d.reason)).toEqual(['no-ports']);
  });

  it('leaves out HTTP ports beyond the entrypoints the proxies listen on, with a Warning', () => {
    const plan = planShadowChanges(
      [
        service('a', 'web', [
          { name: 'a', port: 80 },
          { name: 'b', port: 81 },
          { name: 'c', port: 82 },
        ]),
      ],
      [],
      { ...config, httpEntrypoints: 2 },
    );
    expect(plan.create[0]?.manifest.spec.ports.map((p) => p.targetPort)).toEqual([5000, 5001]);
    expect(plan.events[0]?.reason).toBe('NotEnoughHttpEntrypoints');
    expect(plan.events[0]?.message).toContain('5000-5001');
  });

  it('deletes a duplicate shadow under another name but keeps its port', () => {
    const plan = planShadowChanges(
      [service('a', 'db', [{ name: 'pg', port: 5432 }], tcp)],
      [shadow('a', 'db', 'tcp', [{ name: 'pg', port: 5432, targetPort: 10005 }], 'old-name')],
      config,
    );
    expect(plan.delete.map((d) => [d.name, d.reason])).toEqual([['old-name', 'duplicate']]);
    expect(plan.create[0]?.manifest.spec.ports[0]?.targetPort).toBe(10005);
  });

  it('never throws on garbage', () => {
    const junk: unknown[] = [null, 1, 'x', [], {}, { metadata: null }, { metadata: { name: 3 } }];
    junk.push({ metadata: { namespace: 'a', name: 'b' }, spec: 'nope' });
    junk.push({
      metadata: { namespace: 'nodemesh', name: 'x', labels: shadowLabels({ namespace: 'a', name: 'b' }) },
    });
    const plan = planShadowChanges(junk, junk, config);
    expect(plan.create).toEqual([]);
    expect(plan.invalidShadows).toHaveLength(1);
  });

  describe('ServiceAccounts', () => {
    const selected = (ns: string, name: string, selector?: Record<string, string>) => {
      const svc = service(ns, name, [{ name: 'web', port: 80 }]);
      return selector === undefined ? svc : { ...svc, spec: { ...svc.spec, selector } };
    };
    const withAccounts = (obj: ReturnType<typeof shadow>, value: string) => ({
      ...obj,
      metadata: {
        ...obj.metadata,
        annotations: { ...obj.metadata.annotations, 'nodemesh.io/service-accounts': value },
      },
    });
    const current = (value?: string) => {
      const base = shadow('shop', 'orders', 'http', [{ name: 'web', port: 80, targetPort: 5000 }]);
      return value === undefined ? base : withAccounts(base, value);
    };
    const lookup =
      (accounts: readonly string[]) => (ns: string, selector?: Readonly<Record<string, string>>) =>
        ns === 'shop' && selector?.app === 'orders' ? accounts : selector === undefined ? undefined : [];
    const annotationsOf = (plan: ReturnType<typeof planShadowChanges>) =>
      (plan.update[0]?.body.metadata as { annotations?: Record<string, string> } | undefined)?.annotations;

    it('writes the ServiceAccounts of the selected pods on a new shadow', () => {
      const plan = planShadowChanges(
        [selected('shop', 'orders', { app: 'orders' })],
        [],
        config,
        lookup(['web', 'admin']),
      );
      expect(plan.create[0]?.manifest.metadata.annotations['nodemesh.io/service-accounts']).toBe('admin,web');
    });

    it('updates a shadow whose set changed, and leaves one alone whose set did not', () => {
      const svc = selected('shop', 'orders', { app: 'orders' });
      const changed = planShadowChanges([svc], [current('web')], config, lookup(['admin', 'web']));
      expect(annotationsOf(changed)?.['nodemesh.io/service-accounts']).toBe('admin,web');
      const same = planShadowChanges([svc], [current('admin,web')], config, lookup(['web', 'admin']));
      expect(same.update).toEqual([]);
      expect(same.create).toEqual([]);
    });

    it('writes an empty list when no pod is selected, and removes it when the selector goes', () => {
      const none = planShadowChanges(
        [selected('shop', 'orders', { app: 'none' })],
        [current('web')],
        config,
        lookup([]),
      );
      expect(annotationsOf(none)?.['nodemesh.io/service-accounts']).toBe('');
      const noSelector = planShadowChanges(
        [selected('shop', 'orders')],
        [current('web')],
        config,
        lookup([]),
      );
      expect(annotationsOf(noSelector)).toEqual({ 'nodemesh.io/traffic-type': 'http' });
    });

    it('keeps the ports of a shadow whose ServiceAccounts annotation was spoiled, and rewrites it', () => {
      const tcpShadow = withAccounts(
        shadow('shop', 'orders', 'tcp', [{ name: 'web', port: 80, targetPort: 10007 }]),
        'Bad Name',
      );
      const svc = {
        ...service('shop', 'orders', [{ name: 'web', port: 80 }], tcp),
        spec: { ...service('shop', 'orders', [{ name: 'web', port: 80 }]).spec, selector: { app: 'orders' } },
      };
      const plan = planShadowChanges([svc], [tcpShadow], config, lookup(['web']));
      expect(plan.invalidShadows).toHaveLength(1);
      expect(plan.update).toHaveLength(1);
      const spec = plan.update[0]?.body.spec as { ports: { targetPort: number }[] } | undefined;
      expect(spec?.ports[0]?.targetPort).toBe(10007);
      expect(annotationsOf(plan)?.['nodemesh.io/service-accounts']).toBe('web');
    });
  });

  describe('the mTLS mode', () => {
    const mtls = { ...config, mtlsMode: 'permissive' as const };
    const web = (annotations: Record<string, string> = {}) =>
      service('shop', 'web', [{ name: 'http', port: 80 }], annotations);
    const namespace = (name: string, mode?: string) => ({
      metadata: {
        name,
        uid: `uid-ns-${name}`,
        ...(mode === undefined ? {} : { annotations: { 'nodemesh.io/mtls': mode } }),
      },
    });
    const modeOn = (plan: ReturnType<typeof planShadowChanges>) =>
      plan.create[0]?.manifest.metadata.annotations['nodemesh.io/mtls-mode'];

    it('writes the Service annotation over the Namespace annotation over the mesh-wide mode', () => {
      expect(modeOn(planShadowChanges([web()], [], mtls))).toBe('permissive');
      expect(modeOn(planShadowChanges([web()], [], { ...mtls, mtlsMode: 'off' }))).toBe('off');
      expect(modeOn(planShadowChanges([web()], [], mtls, undefined, [namespace('shop', 'strict')]))).toBe(
        'strict',
      );
      const both = planShadowChanges([web({ 'nodemesh.io/mtls': 'off' })], [], mtls, undefined, [
        namespace('shop', 'strict'),
      ]);
      expect(modeOn(both)).toBe('off');
      expect(both.mtlsModes.get('shop/web')).toBe('off');
      expect(both.events).toEqual([]);
      expect(both.namespaceEvents).toEqual([]);
    });

    it('updates the shadow when the Namespace annotation changes, and writes nothing when it does not', () => {
      const current = {
        ...shadow('shop', 'web', 'http', [{ name: 'http', port: 80, targetPort: 5000 }]),
      };
      current.metadata.annotations = {
        ...current.metadata.annotations,
        'nodemesh.io/mtls-mode': 'permissive',
      } as typeof current.metadata.annotations;
      const same = planShadowChanges([web()], [current], mtls, undefined, [namespace('shop')]);
      expect(same.update).toEqual([]);
      const changed = planShadowChanges([web()], [current], mtls, undefined, [namespace('shop', 'strict')]);
      expect(changed.update).toHaveLength(1);
      const body = changed.update[0]?.body as { metadata: { annotations: Record<string, string> } };
      expect(body.metadata.annotations['nodemesh.io/mtls-mode']).toBe('strict');
    });

    it('gives a bad Service annotation a Warning on the Service, and the Namespace mode applies', () => {
      const plan = planShadowChanges([web({ 'nodemesh.io/mtls': 'yes' })], [], mtls, undefined, [
        namespace('shop', 'strict'),
      ]);
      expect(modeOn(plan)).toBe('strict');
      expect(plan.events).toEqual([
        {
          of: { namespace: 'shop', name: 'web' },
          uid: 'uid-web',
          type: 'Warning',
          reason: 'InvalidMtlsMode',
          message:
            'metadata.annotations["nodemesh.io/mtls"] must be one of off, permissive, strict, got "yes"; the Service\'s mTLS mode is strict',
        },
      ]);
    });

    it('gives a bad Namespace annotation one Warning on the Namespace, and the mesh-wide mode applies', () => {
      const plan = planShadowChanges(
        [web(), service('shop', 'db', [{ name: 'pg', port: 5432 }], tcp)],
        [],
        { ...mtls, mtlsMode: 'off' },
        undefined,
        [namespace('shop', 'Strict')],
      );
      expect(plan.create.map((c) => c.manifest.metadata.annotations['nodemesh.io/mtls-mode'])).toEqual([
        'off',
        'off',
      ]);
      expect(plan.events).toEqual([]);
      expect(plan.namespaceEvents).toEqual([
        {
          namespace: 'shop',
          uid: 'uid-ns-shop',
          type: 'Warning',
          reason: 'InvalidMtlsMode',
          message:
            'metadata.annotations["nodemesh.io/mtls"] must be one of off, permissive, strict, got "Strict"; its Services fall back to their own annotation, else the mesh-wide mode off',
        },
      ]);
    });

    it('neither writes nor compares the mode without a mesh-wide mode (nodemesh check)', () => {
      const plan = planShadowChanges([web({ 'nodemesh.io/mtls': 'strict' })], [], config);
      expect(modeOn(plan)).toBeUndefined();
      expect(plan.mtlsModes.size).toBe(0);
    });

    it('keeps the ports of a shadow whose mode annotation was spoiled, and rewrites it', () => {
      const spoiled = shadow('shop', 'db', 'tcp', [{ name: 'pg', port: 5432, targetPort: 10007 }]);
      spoiled.metadata.annotations = {
        ...spoiled.metadata.annotations,
        'nodemesh.io/mtls-mode': 'sometimes',
      } as typeof spoiled.metadata.annotations;
      const plan = planShadowChanges(
        [service('shop', 'db', [{ name: 'pg', port: 5432 }], tcp)],
        [spoiled],
        mtls,
      );
      expect(plan.invalidShadows).toHaveLength(1);
      const body = plan.update[0]?.body as {
        metadata: { annotations: Record<string, string> };
        spec: { ports: { targetPort: number }[] };
      };
      expect(body.spec.ports[0]?.targetPort).toBe(10007);
      expect(body.metadata.annotations['nodemesh.io/mtls-mode']).toBe('permissive');
    });
  });
});
