import { selectFields } from '@nodemesh/kube-runtime';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { POD_CALLER_FIELDS, PodCallerIndex, podCaller } from './pod-callers.js';

function pod(
  name: string,
  opts: { ip?: string; ips?: string[]; phase?: string; extra?: Record<string, unknown> } = {},
) {
  const { extra = {} } = opts;
  return {
    metadata: { namespace: 'shop', name, labels: {}, ...(extra.metadata as object) },
    spec: { nodeName: 'node-a', serviceAccountName: 'web', ...(extra.spec as object) },
    status: {
      phase: opts.phase ?? 'Running',
      ...(opts.ip === undefined ? {} : { podIP: opts.ip }),
      ...(opts.ips === undefined ? {} : { podIPs: opts.ips.map((ip) => ({ ip })) }),
    },
  };
}

describe('podCaller', () => {
  it('names a Deployment pod by its ReplicaSet without the pod-template-hash', () => {
    const p = pod('web-7d9f8c6b5-x2x4z', {
      ip: '10.1.0.7',
      extra: {
        metadata: {
          labels: { 'pod-template-hash': '7d9f8c6b5', app: 'other' },
          ownerReferences: [{ kind: 'ReplicaSet', name: 'web-7d9f8c6b5', controller: true }],
        },
      },
    });
    expect(podCaller(p)).toEqual({
      key: 'shop/web-7d9f8c6b5-x2x4z',
      ips: ['10.1.0.7'],
      caller: { namespace: 'shop', workload: 'web', serviceAccount: 'web' },
    });
  });

  it('names a StatefulSet pod by its owner, an unowned pod by its app label, else by its name', () => {
    const owned = pod('db-0', {
      ip: '10.1.0.8',
      extra: { metadata: { ownerReferences: [{ kind: 'StatefulSet', name: 'db', controller: true }] } },
    });
    expect(podCaller(owned)?.caller.workload).toBe('db');
    const labelled = pod('debug', { ip: '10.1.0.9', extra: { metadata: { labels: { app: 'toolbox' } } } });
    expect(podCaller(labelled)?.caller.workload).toBe('toolbox');
    expect(podCaller(pod('lonely', { ip: '10.1.0.10' }))?.caller.workload).toBe('lonely');
  });

  it('defaults the ServiceAccount to default and reads both podIP and podIPs', () => {
    const p = pod('dual', {
      ip: '10.1.0.11',
      ips: ['10.1.0.11', 'fd00::11'],
      extra: { spec: { serviceAccountName: undefined } },
    });
    expect(podCaller(p)).toMatchObject({
      ips: ['10.1.0.11', 'fd00::11'],
      caller: { serviceAccount: 'default' },
    });
  });

  it('ignores pods that are not Running, have no valid IP, or use the host network', () => {
    expect(podCaller(pod('pending', { phase: 'Pending', ip: '10.1.0.12' }))).toBeUndefined();
    expect(podCaller(pod('no-ip'))).toBeUndefined();
    expect(podCaller(pod('bad-ip', { ip: 'ten.one' }))).toBeUndefined();
    expect(
      podCaller(pod('host', { ip: '192.0.2.1', extra: { spec: { hostNetwork: true } } })),
    ).toBeUndefined();
    for (const junk of [null, 1, 'pod', [], { metadata: [] }, { metadata: { name: 'x' } }]) {
      expect(podCaller(junk)).toBeUndefined();
    }
  });
});

describe('PodCallerIndex', () => {
  it('resolves callers by IP (IPv4-mapped too), follows updates and deletes', () => {
    const index = new PodCallerIndex();
    const web = pod('web', { ip: '10.1.0.7' });
    index.upsert(web);
    expect(index.resolve('10.1.0.7')?.workload).toBe('web');
    expect(index.resolve('::ffff:10.1.0.7')?.workload).toBe('web');
    index.upsert(pod('web', { ip: '10.1.0.7', phase: 'Succeeded' }));
    expect(index.resolve('10.1.0.7')).toBeUndefined();
    index.upsert(web);
    index.delete(web);
    expect(index.resolve('10.1.0.7')).toBeUndefined();
    expect(index.size).toBe(0);
  });

  it('lets a new pod keep an IP that an old pod, deleted later, also had', () => {
    const index = new PodCallerIndex();
    const old = pod('old', { ip: '10.1.0.7' });
    index.upsert(old);
    index.upsert(pod('new', { ip: '10.1.0.7' }));
    index.delete(old);
    expect(index.resolve('10.1.0.7')?.workload).toBe('new');
  });
});

describe('the pods informer transform', () => {
  it('keeps every field podCaller reads: the caller of a kept pod is the caller of the whole pod', () => {
    const keep = selectFields(POD_CALLER_FIELDS);
    const value = fc.oneof(fc.string({ maxLength: 8 }), fc.boolean(), fc.constant(null), fc.integer());
    const arbitraryPod = fc.record(
      {
        metadata: fc.record(
          {
            namespace: fc.constantFrom('shop', ''),
            name: fc.constantFrom('web-5c9d7f8b4-abcde', 'db-0'),
            labels: fc.dictionary(
              fc.constantFrom('app', 'app.kubernetes.io/name', 'pod-template-hash'),
              value,
            ),
            ownerReferences: fc.array(
              fc.record({
                kind: fc.constantFrom('ReplicaSet', 'StatefulSet'),
                name: value,
                controller: value,
                uid: value,
              }),
              { maxLength: 2 },
            ),
            annotations: fc.dictionary(fc.string({ maxLength: 5 }), fc.string({ maxLength: 5 })),
          },
          { requiredKeys: ['name'] },
        ),
        spec: fc.record({
          hostNetwork: value,
          serviceAccountName: value,
          serviceAccount: value,
          containers: fc.array(fc.record({ name: fc.string({ maxLength: 4 }) }), { maxLength: 2 }),
        }),
        status: fc.record({
          phase: fc.constantFrom('Running', 'Pending', 'Succeeded'),
          podIP: fc.constantFrom('10.1.0.1', 'fd00::1', 'nope', ''),
          podIPs: fc.array(fc.oneof(fc.record({ ip: fc.constantFrom('10.1.0.2', 'x') }), value), {
            maxLength: 2,
          }),
          conditions: fc.array(fc.record({ type: fc.string({ maxLength: 4 }) }), { maxLength: 1 }),
        }),
      },
      { requiredKeys: ['metadata'] },
    );
    fc.assert(
      fc.property(arbitraryPod, (p) => {
        expect(podCaller(keep(p))).toEqual(podCaller(p));
      }),
      { numRuns: 500 },
    );
  });
});
