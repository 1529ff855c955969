import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../api/kube-object.js';
import {
  buildEndpointSlices,
  endpointsFromSlices,
  managedByLabel,
  serviceNameLabel,
} from './endpoint-slices.js';

const service: KubeObject = {
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name: 'orders', namespace: 'shop', uid: 'svc-uid' },
  spec: {
    selector: { app: 'orders' },
    ports: [
      { name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' },
      { name: 'metrics', port: 9090, targetPort: 9100, protocol: 'TCP' },
    ],
  },
};

function pod(
  name: string,
  options: {
    ip?: string;
    ready?: boolean;
    httpPort?: number;
    deleting?: boolean;
    app?: string;
    ns?: string;
    phase?: string;
  } = {},
): KubeObject {
  const metadata: KubeObject['metadata'] = {
    name,
    namespace: options.ns ?? 'shop',
    uid: `${name}-uid`,
    labels: { app: options.app ?? 'orders' },
  };
  if (options.deleting) metadata.deletionTimestamp = '2026-01-01T00:00:00Z';
  const status: Record<string, unknown> = {
    phase: options.phase ?? 'Running',
    conditions: [{ type: 'Ready', status: options.ready === false ? 'False' : 'True' }],
  };
  if (options.ip !== undefined) status.podIP = options.ip;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata,
    spec: {
      nodeName: 'node-1',
      containers: [{ name: 'app', ports: [{ name: 'http', containerPort: options.httpPort ?? 8080 }] }],
    },
    status: status as KubeObject['status'],
  };
}

describe('buildEndpointSlices', () => {
  it('builds one slice from matching pods with IPs, resolving named target ports', () => {
    const slices = buildEndpointSlices(service, [
      pod('b', { ip: '10.0.0.2', ready: false }),
      pod('a', { ip: '10.0.0.1' }),
      pod('no-ip'),
      pod('other', { ip: '10.0.0.9', app: 'web' }),
      pod('elsewhere', { ip: '10.0.0.8', ns: 'other' }),
      pod('done', { ip: '10.0.0.7', phase: 'Succeeded' }),
    ]);
    expect(slices).toHaveLength(1);
    const slice = slices[0];
    expect(slice?.metadata.labels).toEqual({
      [serviceNameLabel]: 'orders',
      [managedByLabel]: 'endpointslice-controller.k8s.io',
    });
    expect(slice?.addressType).toBe('IPv4');
    expect(slice?.ports).toEqual([
      { name: 'http', port: 8080, protocol: 'TCP' },
      { name: 'metrics', port: 9100, protocol: 'TCP' },
    ]);
    expect(slice?.endpoints).toEqual([
      {
        addresses: ['10.0.0.1'],
        conditions: { ready: true, serving: true, terminating: false },
        targetRef: { kind: 'Pod', namespace: 'shop', name: 'a', uid: 'a-uid' },
        nodeName: 'node-1',
      },
      {
        addresses: ['10.0.0.2'],
        conditions: { ready: false, serving: false, terminating: false },
        targetRef: { kind: 'Pod', namespace: 'shop', name: 'b', uid: 'b-uid' },
        nodeName: 'node-1',
      },
    ]);
  });

  it('marks pods being deleted as terminating and not ready', () => {
    const [slice] = buildEndpointSlices(service, [pod('a', { ip: '10.0.0.1', deleting: true })]);
    expect(slice?.endpoints).toMatchObject([
      { conditions: { ready: false, serving: true, terminating: true } },
    ]);
  });

  it('splits pods whose named port resolves differently into separate slices', () => {
    const slices = buildEndpointSlices(service, [
      pod('a', { ip: '10.0.0.1' }),
      pod('b', { ip: '10.0.0.2', httpPort: 9000 }),
    ]);
    expect(slices).toHaveLength(2);
    expect(new Set(slices.map((s) => s.metadata.name)).size).toBe(2);
  });

  it('keeps an empty slice when nothing matches, and none for selector-less or ExternalName services', () => {
    expect(buildEndpointSlices(service, [])).toMatchObject([{ endpoints: [], ports: [] }]);
    expect(buildEndpointSlices({ ...service, spec: { ports: [] } }, [pod('a', { ip: '1.1.1.1' })])).toEqual(
      [],
    );
    expect(
      buildEndpointSlices({ ...service, spec: { type: 'ExternalName', selector: { app: 'orders' } } }, []),
    ).toEqual([]);
  });
});

describe('endpointsFromSlices', () => {
  it('splits ready and not-ready addresses per slice and leaves out empty subsets', () => {
    const slices = buildEndpointSlices(service, [
      pod('a', { ip: '10.0.0.1' }),
      pod('b', { ip: '10.0.0.2', ready: false }),
    ]);
    const endpoints = endpointsFromSlices(service, slices);
    expect(endpoints.metadata).toMatchObject({ name: 'orders', namespace: 'shop' });
    expect(endpoints.subsets).toEqual([
      {
        addresses: [
          {
            ip: '10.0.0.1',
            nodeName: 'node-1',
            targetRef: { kind: 'Pod', namespace: 'shop', name: 'a', uid: 'a-uid' },
          },
        ],
        notReadyAddresses: [
          {
            ip: '10.0.0.2',
            nodeName: 'node-1',
            targetRef: { kind: 'Pod', namespace: 'shop', name: 'b', uid: 'b-uid' },
          },
        ],
        ports: [
          { name: 'http', port: 8080, protocol: 'TCP' },
          { name: 'metrics', port: 9100, protocol: 'TCP' },
        ],
      },
    ]);
    expect(endpointsFromSlices(service, buildEndpointSlices(service, []))).not.toHaveProperty('subsets');
  });
});
