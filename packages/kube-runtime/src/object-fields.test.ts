import { describe, expect, it } from 'vitest';
import { keepFields, mergeSelections, selectFields, withoutBookkeeping } from './object-fields.js';

const pod = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: {
    name: 'web-1',
    namespace: 'shop',
    uid: 'u1',
    resourceVersion: '7',
    labels: { app: 'web' },
    managedFields: [{ manager: 'kubectl' }],
    ownerReferences: [
      { kind: 'ReplicaSet', name: 'web-abc', controller: true, uid: 'r1', apiVersion: 'apps/v1' },
    ],
  },
  spec: { serviceAccountName: 'web', containers: [{ name: 'c', image: 'x' }], volumes: [] },
  status: { phase: 'Running', podIPs: [{ ip: '10.0.0.1' }, 'junk'], conditions: [] },
};

describe('informer transforms', () => {
  it('keep the selected fields and the identity, inside lists too, and nothing else', () => {
    const keep = selectFields({
      metadata: { labels: true, ownerReferences: { kind: true, name: true } },
      spec: { serviceAccountName: true },
      status: { phase: true, podIPs: { ip: true } },
    });
    expect(keep(pod)).toEqual({
      metadata: {
        name: 'web-1',
        namespace: 'shop',
        uid: 'u1',
        resourceVersion: '7',
        labels: { app: 'web' },
        ownerReferences: [{ kind: 'ReplicaSet', name: 'web-abc' }],
      },
      spec: { serviceAccountName: 'web' },
      // A value of another shape than selected is kept as it is, for the validator to judge.
      status: { phase: 'Running', podIPs: [{ ip: '10.0.0.1' }, 'junk'] },
    });
    expect(keepFields('not an object', { a: true })).toBe('not an object');
  });

  it('merge selections', () => {
    expect(mergeSelections({ a: { b: true }, c: true }, { a: { d: true }, c: { e: true } })).toEqual({
      a: { b: true, d: true },
      c: true,
    });
  });

  it('drop managed fields and the last-applied annotation, and nothing else', () => {
    const service = {
      metadata: {
        name: 's',
        annotations: {
          'kubectl.kubernetes.io/last-applied-configuration': '{...}',
          'nodemesh.io/scheme': 'h2c',
        },
        managedFields: [{}],
      },
      spec: { ports: [] },
    };
    expect(withoutBookkeeping(service)).toEqual({
      metadata: { name: 's', annotations: { 'nodemesh.io/scheme': 'h2c' } },
      spec: { ports: [] },
    });
    const plain = { metadata: { name: 'p' } };
    expect(withoutBookkeeping(plain)).toBe(plain);
  });
});
