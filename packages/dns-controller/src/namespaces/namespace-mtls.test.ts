import { selectFields } from '@nodemesh/kube-runtime';
import { describe, expect, it } from 'vitest';
import { NAMESPACE_MTLS_FIELDS, readNamespaceMtls } from './namespace-mtls.js';

const shop = {
  apiVersion: 'v1',
  kind: 'Namespace',
  metadata: {
    name: 'shop',
    uid: 'u1',
    resourceVersion: '7',
    labels: { 'kubernetes.io/metadata.name': 'shop', team: 'a' },
    annotations: {
      'nodemesh.io/mtls': 'strict',
      'kubectl.kubernetes.io/last-applied-configuration': '{"big":1}',
    },
    managedFields: [{ manager: 'kubectl' }],
  },
  spec: { finalizers: ['kubernetes'] },
  status: { phase: 'Active' },
};

describe('the namespaces informer', () => {
  it('keeps of a Namespace only its identity and its mTLS annotation', () => {
    expect(selectFields(NAMESPACE_MTLS_FIELDS)(shop)).toEqual({
      metadata: {
        name: 'shop',
        uid: 'u1',
        resourceVersion: '7',
        annotations: { 'nodemesh.io/mtls': 'strict' },
      },
    });
  });

  it('reads the annotation by Namespace name, whatever its value, and none when absent', () => {
    const kept = selectFields(NAMESPACE_MTLS_FIELDS);
    const read = readNamespaceMtls([
      kept(shop),
      { metadata: { name: 'web', annotations: { 'nodemesh.io/mtls': 7 } } },
      { metadata: { name: 'plain' } },
      { metadata: { annotations: {} } },
      null,
      'x',
    ]);
    expect([...read]).toEqual([
      ['shop', { uid: 'u1', annotation: 'strict' }],
      ['web', { uid: undefined, annotation: 7 }],
      ['plain', { uid: undefined, annotation: undefined }],
    ]);
  });
});
