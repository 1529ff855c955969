import { describe, expect, it } from 'vitest';
import { parseApiPath } from './request-path.js';

describe('parseApiPath', () => {
  it('recognises discovery paths', () => {
    expect(parseApiPath('/api')).toEqual({ kind: 'core-versions' });
    expect(parseApiPath('/apis')).toEqual({ kind: 'groups' });
    expect(parseApiPath('/apis/apps')).toEqual({ kind: 'group', group: 'apps' });
    expect(parseApiPath('/api/v1')).toEqual({ kind: 'resources', group: '', version: 'v1' });
    expect(parseApiPath('/apis/apps/v1/')).toEqual({ kind: 'resources', group: 'apps', version: 'v1' });
  });

  it('reads a proxy path as the proxy subresource, whatever path follows it', () => {
    expect(parseApiPath('/api/v1/namespaces/nodemesh/pods/p-1:9090/proxy/debug/snapshot')).toEqual({
      kind: 'resource',
      path: {
        group: '',
        version: 'v1',
        namespace: 'nodemesh',
        plural: 'pods',
        name: 'p-1:9090',
        subresource: 'proxy',
        legacyWatch: false,
      },
    });
    expect(parseApiPath('/api/v1/namespaces/nodemesh/pods/p/status/extra')).toEqual({ kind: 'unknown' });
  });

  it('recognises namespaced, cluster-scoped, status and legacy watch paths', () => {
    expect(parseApiPath('/api/v1/namespaces/shop/pods/a/status')).toEqual({
      kind: 'resource',
      path: {
        group: '',
        version: 'v1',
        namespace: 'shop',
        plural: 'pods',
        name: 'a',
        subresource: 'status',
        legacyWatch: false,
      },
    });
    expect(parseApiPath('/api/v1/namespaces/shop')).toEqual({
      kind: 'resource',
      path: { group: '', version: 'v1', plural: 'namespaces', name: 'shop', legacyWatch: false },
    });
    expect(parseApiPath('/api/v1/namespaces/shop/status')).toMatchObject({
      path: { plural: 'namespaces', name: 'shop', subresource: 'status' },
    });
    expect(parseApiPath('/apis/apps/v1/deployments')).toMatchObject({
      path: { group: 'apps', plural: 'deployments' },
    });
    expect(parseApiPath('/api/v1/watch/namespaces/x/pods')).toMatchObject({
      path: { namespace: 'x', plural: 'pods', legacyWatch: true },
    });
  });

  it('rejects what it does not know', () => {
    expect(parseApiPath('/foo')).toEqual({ kind: 'unknown' });
    expect(parseApiPath('/api/v1/pods/a/b/c')).toEqual({ kind: 'unknown' });
    expect(parseApiPath('/api/v1/pods/%E0%A4%A')).toEqual({ kind: 'unknown' });
  });
});
