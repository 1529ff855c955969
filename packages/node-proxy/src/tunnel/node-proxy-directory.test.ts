import { selectFields } from '@nodemesh/kube-runtime';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { NODE_PROXY_POD_FIELDS, NodeProxyDirectory, nodeProxyPod } from './node-proxy-directory.js';

const pod = (name: string, nodeName: string, podIP: string, over: Record<string, unknown> = {}) => ({
  metadata: {
    namespace: 'nodemesh',
    name,
    labels: { 'app.kubernetes.io/component': 'node-proxy' },
    managedFields: [{ manager: 'kubelet' }],
  },
  spec: { nodeName, containers: [{ name: 'proxy' }] },
  status: { phase: 'Running', podIP, conditions: [] },
  ...over,
});

describe('nodeProxyPod', () => {
  it('reads a Running node-proxy pod into its node and address', () => {
    expect(nodeProxyPod(pod('np-a', 'node-a', '10.0.0.4'))).toEqual({
      key: 'nodemesh/np-a',
      nodeName: 'node-a',
      address: '10.0.0.4',
    });
  });

  it('takes none that cannot take tunnels: not Running, unscheduled, no or a bad IP, not a node proxy', () => {
    const base = pod('np-a', 'node-a', '10.0.0.4');
    expect(nodeProxyPod({ ...base, status: { phase: 'Pending', podIP: '10.0.0.4' } })).toBeUndefined();
    expect(nodeProxyPod({ ...base, spec: {} })).toBeUndefined();
    expect(nodeProxyPod({ ...base, status: { phase: 'Running' } })).toBeUndefined();
    expect(nodeProxyPod({ ...base, status: { phase: 'Running', podIP: 'node-a.example' } })).toBeUndefined();
    expect(nodeProxyPod({ ...base, metadata: { ...base.metadata, labels: { app: 'x' } } })).toBeUndefined();
    expect(nodeProxyPod('a pod')).toBeUndefined();
    expect(nodeProxyPod({ metadata: { name: 'np' } })).toBeUndefined();
  });

  it('reads the same from what the informer keeps of a pod as from the whole pod', () => {
    const keep = selectFields(NODE_PROXY_POD_FIELDS);
    fc.assert(
      fc.property(
        fc.constantFrom('Running', 'Pending', 'Failed', undefined),
        fc.constantFrom('10.0.0.4', 'fd00::4', 'bad', undefined),
        fc.constantFrom('node-a', '', undefined),
        fc.constantFrom('node-proxy', 'dns-controller', undefined),
        (phase, podIP, nodeName, component) => {
          const whole = {
            metadata: {
              namespace: 'nodemesh',
              name: 'np',
              labels: { 'app.kubernetes.io/component': component },
            },
            spec: { nodeName, hostNetwork: true },
            status: { phase, podIP, hostIP: '192.168.0.1' },
          };
          expect(nodeProxyPod(keep(whole))).toEqual(nodeProxyPod(whole));
        },
      ),
    );
  });
});

describe('NodeProxyDirectory', () => {
  it('knows each node’s proxy, follows moves and removals, and counts versions', () => {
    const directory = new NodeProxyDirectory();
    const heard: string[] = [];
    directory.onChange((key, p) => heard.push(`${key}=${p?.address ?? 'gone'}`));
    directory.upsert(pod('np-a', 'node-a', '10.0.0.4'));
    directory.upsert(pod('np-b', 'node-b', '10.0.1.4'));
    expect(directory.addressOf('node-a')).toBe('10.0.0.4');
    const version = directory.version;
    // The same pod again changes nothing.
    directory.upsert(pod('np-a', 'node-a', '10.0.0.4'));
    expect(directory.version).toBe(version);
    directory.upsert({ ...pod('np-a', 'node-a', '10.0.0.4'), status: { phase: 'Succeeded' } });
    expect(directory.addressOf('node-a')).toBeUndefined();
    directory.delete(pod('np-b', 'node-b', '10.0.1.4'));
    expect(directory.addressOf('node-b')).toBeUndefined();
    expect(directory.version).toBeGreaterThan(version);
    expect(heard).toEqual([
      'nodemesh/np-a=10.0.0.4',
      'nodemesh/np-b=10.0.1.4',
      'nodemesh/np-a=gone',
      'nodemesh/np-b=gone',
    ]);
  });

  it('during a surge the newest pod of a node wins, and removing the old one keeps the new one', () => {
    const directory = new NodeProxyDirectory();
    directory.upsert(pod('np-old', 'node-a', '10.0.0.4'));
    directory.upsert(pod('np-new', 'node-a', '10.0.0.9'));
    expect(directory.addressOf('node-a')).toBe('10.0.0.9');
    directory.delete(pod('np-old', 'node-a', '10.0.0.4'));
    expect(directory.addressOf('node-a')).toBe('10.0.0.9');
    // The newest going first hands the node back to the one still there.
    directory.upsert(pod('np-old', 'node-a', '10.0.0.4'));
    directory.delete(pod('np-old', 'node-a', '10.0.0.4'));
    directory.upsert(pod('np-other', 'node-a', '10.0.0.5'));
    directory.delete(pod('np-other', 'node-a', '10.0.0.5'));
    expect(directory.addressOf('node-a')).toBe('10.0.0.9');
  });
});
