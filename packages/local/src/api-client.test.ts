import { describe, expect, it } from 'vitest';
import { collectionPath } from './api-client.js';

describe('collectionPath', () => {
  it.each([
    [
      { apiVersion: 'v1', kind: 'Service', metadata: { name: 'a', namespace: 'shop' } },
      '/api/v1/namespaces/shop/services',
    ],
    [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop' } }, '/api/v1/namespaces'],
    [{ apiVersion: 'v1', kind: 'Node', metadata: { name: 'n' } }, '/api/v1/nodes'],
    [
      { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'a' } },
      '/api/v1/namespaces/default/serviceaccounts',
    ],
    [
      {
        apiVersion: 'split.smi-spec.io/v1alpha4',
        kind: 'TrafficSplit',
        metadata: { name: 'a', namespace: 'x' },
      },
      '/apis/split.smi-spec.io/v1alpha4/namespaces/x/trafficsplits',
    ],
    [
      {
        apiVersion: 'specs.smi-spec.io/v1alpha4',
        kind: 'HTTPRouteGroup',
        metadata: { name: 'a', namespace: 'x' },
      },
      '/apis/specs.smi-spec.io/v1alpha4/namespaces/x/httproutegroups',
    ],
    [
      { apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name: 'a' } },
      '/apis/apiextensions.k8s.io/v1/customresourcedefinitions',
    ],
    [
      { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'default' } },
      '/api/v1/namespaces/default/pods',
    ],
  ])('%o → %s', (object, path) => {
    expect(collectionPath(object)).toBe(path);
  });
});
