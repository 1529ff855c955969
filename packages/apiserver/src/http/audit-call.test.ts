import { describe, expect, it } from 'vitest';
import { auditCallOf } from './audit-call.js';

const call = (method: string, path: string) => auditCallOf(method, new URL(path, 'http://localhost'));

describe('auditCallOf', () => {
  it('maps methods and paths to RBAC verbs like RequestInfo', () => {
    expect(call('GET', '/api/v1/services')).toEqual({ verb: 'list', apiGroup: '', resource: 'services' });
    expect(call('GET', '/api/v1/namespaces/a/services?watch=true')).toEqual({
      verb: 'watch',
      apiGroup: '',
      resource: 'services',
      namespace: 'a',
    });
    expect(call('GET', '/api/v1/namespaces/a/services/s')).toEqual({
      verb: 'get',
      apiGroup: '',
      resource: 'services',
      namespace: 'a',
      name: 's',
    });
    expect(call('POST', '/apis/coordination.k8s.io/v1/namespaces/m/leases')?.verb).toBe('create');
    expect(call('PUT', '/apis/coordination.k8s.io/v1/namespaces/m/leases/l')?.verb).toBe('update');
    expect(call('PATCH', '/api/v1/namespaces/a/events/e')?.verb).toBe('patch');
    expect(call('DELETE', '/api/v1/namespaces/a/services/s')?.verb).toBe('delete');
    expect(call('DELETE', '/api/v1/namespaces/a/services')?.verb).toBe('deletecollection');
    expect(call('PUT', '/api/v1/namespaces/a/services/s/status')).toMatchObject({
      verb: 'update',
      subresource: 'status',
    });
  });

  it('names a list or watch narrowed to one object by field selector', () => {
    expect(
      call('GET', '/api/v1/namespaces/kube-system/configmaps?watch=1&fieldSelector=metadata.name%3Dcoredns'),
    ).toMatchObject({ verb: 'watch', name: 'coredns' });
    expect(call('GET', '/api/v1/watch/namespaces/a/pods')?.verb).toBe('watch');
    expect(call('GET', '/api/v1/pods?fieldSelector=spec.nodeName%3Dn')?.name).toBeUndefined();
  });

  it('carries the User-Agent', () => {
    expect(auditCallOf('GET', new URL('http://h/api/v1/pods'), 'nodemesh-proxy')?.userAgent).toBe(
      'nodemesh-proxy',
    );
  });

  it('ignores discovery and bad methods', () => {
    expect(call('GET', '/api')).toBeUndefined();
    expect(call('GET', '/apis/split.smi-spec.io')).toBeUndefined();
    expect(call('POST', '/api/v1/namespaces/a/services/s')).toBeUndefined();
  });
});
