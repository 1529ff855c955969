import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { podManifest, podReadyStatus, serviceManifest, trafficSplitYaml } from './manifests.js';

describe('trafficSplitYaml', () => {
  it('writes a v1alpha4 TrafficSplit that reads back as written', () => {
    const yaml = trafficSplitYaml('shop', 'web-split', 'web', [
      { service: 'web-v1', weight: 80 },
      { service: 'web-v2', weight: 20 },
    ]);
    expect(parse(yaml)).toEqual({
      apiVersion: 'split.smi-spec.io/v1alpha4',
      kind: 'TrafficSplit',
      metadata: { name: 'web-split', namespace: 'shop' },
      spec: {
        service: 'web',
        backends: [
          { service: 'web-v1', weight: 80 },
          { service: 'web-v2', weight: 20 },
        ],
      },
    });
  });

  it('keeps a malformed weight a string, for the tests of what the API refuses', () => {
    const yaml = trafficSplitYaml('shop', 's', 'web', [{ service: 'web-v1', weight: 'ten' }]);
    expect(parse(yaml).spec.backends[0].weight).toBe('ten');
  });
});

describe('podManifest', () => {
  it('carries what the mesh reads of a pod: node, ServiceAccount, Running, Ready, IP', () => {
    const pod = podManifest({
      namespace: 'shop',
      name: 'web-v1',
      node: 'node-c',
      ip: '10.251.3.2',
      labels: { app: 'web' },
      serviceAccount: 'web',
    });
    expect(pod).toMatchObject({
      metadata: { name: 'web-v1', namespace: 'shop', labels: { app: 'web' } },
      spec: { nodeName: 'node-c', serviceAccountName: 'web' },
      status: {
        phase: 'Running',
        podIP: '10.251.3.2',
        podIPs: [{ ip: '10.251.3.2' }],
        conditions: [{ type: 'Ready', status: 'True' }],
      },
    });
    expect(pod.spec).not.toHaveProperty('hostNetwork');
    expect(
      podManifest({ namespace: 'n', name: 'p', node: 'a', ip: '10.250.0.11', hostNetwork: true }).spec,
    ).toMatchObject({ hostNetwork: true, serviceAccountName: 'default' });
    expect(podReadyStatus('10.251.1.2', false).status.conditions).toEqual([
      { type: 'Ready', status: 'False' },
    ]);
  });
});

describe('serviceManifest', () => {
  it('defaults the protocol to TCP and asks for a ClusterIP only when given', () => {
    const svc = serviceManifest({
      namespace: 'shop',
      name: 'web',
      selector: { app: 'web' },
      ports: [{ name: 'http', port: 80, targetPort: 8080 }],
    });
    expect(svc.spec).toEqual({
      selector: { app: 'web' },
      ports: [{ name: 'http', port: 80, targetPort: 8080, protocol: 'TCP' }],
    });
    const fixed = serviceManifest({ ...svc.metadata, selector: {}, ports: [], clusterIP: '10.96.0.10' });
    expect(fixed.spec.clusterIP).toBe('10.96.0.10');
  });
});
