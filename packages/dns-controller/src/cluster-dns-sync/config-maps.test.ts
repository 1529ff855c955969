import { describe, expect, it } from 'vitest';
import { changedConfigMap, configMapView, dnsServiceAddress, problemsByConfigMap } from './config-maps.js';

const cm = (name: string, data?: Record<string, string>) => ({
  metadata: { name, namespace: 'kube-system', resourceVersion: '4' },
  ...(data === undefined ? {} : { data }),
});

describe('configMapView', () => {
  const all = new Map<string, unknown>([
    ['coredns', cm('coredns', { Corefile: '.:53 {}\n' })],
    ['kube-dns', cm('kube-dns')],
  ]);

  it('shows every ConfigMap in auto mode, data-less ones as empty', () => {
    expect(configMapView(all, 'auto')).toEqual({
      ok: true,
      value: { coredns: { Corefile: '.:53 {}\n' }, 'kube-dns': {} },
    });
  });

  it('narrows to the forced flavour', () => {
    expect(configMapView(all, 'kube-dns')).toEqual({ ok: true, value: { 'kube-dns': {} } });
    expect(configMapView(all, 'coredns')).toEqual({
      ok: true,
      value: { coredns: { Corefile: '.:53 {}\n' } },
    });
  });

  it('does not fall back when coredns-custom is forced and missing', () => {
    const view = configMapView(all, 'coredns-custom');
    expect(view.ok).toBe(false);
    expect(!view.ok && view.errors[0]?.message).toContain('kube-system/coredns-custom does not exist');
  });
});

describe('changedConfigMap', () => {
  it('sets and removes keys, keeping the rest and the resourceVersion', () => {
    const body = changedConfigMap(cm('coredns-custom', { keep: 'x', 'nodemesh.server': 'old' }), {
      configMap: 'coredns-custom',
      set: { other: 'y' },
      remove: ['nodemesh.server'],
    });
    expect(body).toEqual({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'coredns-custom', namespace: 'kube-system', resourceVersion: '4' },
      data: { keep: 'x', other: 'y' },
    });
  });
});

describe('dnsServiceAddress', () => {
  it('reads the ClusterIP and explains its absence', () => {
    expect(dnsServiceAddress({ spec: { clusterIP: '10.96.0.53' } }, 'nodemesh/nodemesh-dns')).toEqual({
      ok: true,
      value: '10.96.0.53',
    });
    expect(dnsServiceAddress(undefined, 'nodemesh/nodemesh-dns').ok).toBe(false);
    expect(dnsServiceAddress({ spec: { clusterIP: 'None' } }, 'nodemesh/nodemesh-dns').ok).toBe(false);
  });
});

describe('problemsByConfigMap', () => {
  it('groups problems by the ConfigMap their path names, and drops the others', () => {
    const missing = { path: 'coredns.data.Corefile', message: 'is missing' };
    const custom = { path: 'coredns-custom.data.nodemesh.server', message: 'must be a string' };
    const stubs = { path: 'kube-dns.stubDomains', message: 'must be JSON' };
    const general = { path: '', message: 'found none of the ConfigMaps' };
    expect(problemsByConfigMap([missing, custom, stubs, general])).toEqual(
      new Map([
        ['coredns', [missing]],
        ['coredns-custom', [custom]],
        ['kube-dns', [stubs]],
      ]),
    );
  });
});
