import { describe, expect, it } from 'vitest';
import { guide } from './guide.js';
import { localNodes } from './local-nodes.js';
import { componentObjects, nodeProxyArgs } from './mesh-objects.js';
import { podManifest, samplePods } from './sample-pods.js';
import { DEFAULT_LOCAL_SETTINGS } from './settings.js';

const settings = DEFAULT_LOCAL_SETTINGS;
const server = 'http://127.0.0.1:16443';
const now = new Date('2026-12-03T11:00:00Z');

type PodShape = {
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  spec: {
    nodeName: string;
    hostNetwork?: boolean;
    containers: { args: string[]; ports: { name: string }[] }[];
  };
  status: { podIP: string };
};

describe('local mode on two nodes', () => {
  const [first, second] = localNodes(settings);
  const proxies = [
    { node: first, tokenFile: '/tmp/a/token' },
    { node: second, tokenFile: '/tmp/b/token' },
  ];
  const pods = (componentObjects(settings, server, proxies, now) as unknown as PodShape[]).filter(
    (o) => o.kind === 'Pod' && o.metadata.labels?.['app.kubernetes.io/component'] === 'node-proxy',
  );

  it('registers a host-network node-proxy Pod per node, labelled as such, in the mesh namespace', () => {
    expect(
      pods.map((p) => [p.metadata.name, p.metadata.namespace, p.spec.nodeName, p.spec.hostNetwork]),
    ).toEqual([
      ['nodemesh-node-proxy-local', 'nodemesh', 'local', true],
      ['nodemesh-node-proxy-local-b', 'nodemesh', 'local-b', true],
    ]);
    expect(pods.every((p) => p.metadata.labels?.['app.kubernetes.io/part-of'] === 'nodemesh')).toBe(true);
  });

  it("gives the second node's proxy its node's address as podIP: its tunnel and admin server are there", () => {
    const [a, b] = pods;
    // The first keeps 127.0.0.1, where its admin and debug listeners are (nodemesh check, config).
    expect(a?.status.podIP).toBe('127.0.0.1');
    expect(b?.status.podIP).toBe('127.30.0.2');
    expect(b?.spec.containers[0]?.args).toEqual(nodeProxyArgs(settings, second, server, '/tmp/b/token'));
    expect(b?.spec.containers[0]?.args).toEqual(
      expect.arrayContaining([
        '--node-name=local-b',
        '--listen-host=127.30.0.2',
        '--admin-host=127.30.0.2',
        '--admin-port=19093',
        '--debug-port=0',
        '--identity-token-file=/tmp/b/token',
      ]),
    );
    // No debug listener on the second node: the API server could not reach one bound to 127.0.0.1 there.
    expect(b?.spec.containers[0]?.ports.map((p) => p.name)).toEqual(['admin']);
    expect(a?.spec.containers[0]?.ports.map((p) => p.name)).toEqual(['admin', 'debug']);
  });

  it('puts bookstore-v2 on the second node and every other sample pod on the first', () => {
    const placed = samplePods('127.0.0.1:15353', settings.podPrefix, {
      first: 'local',
      second: 'local-b',
    }).map((pod) => {
      const manifest = podManifest(pod, now) as { metadata: { name: string }; spec: { nodeName: string } };
      return `${manifest.metadata.name}@${manifest.spec.nodeName}`;
    });
    expect(placed).toEqual([
      'bookstore-v1@local',
      'bookstore-v2@local-b',
      'bookbuyer@local',
      'bookthief@local',
      'tcp-echo@local',
      'udp-echo@local',
    ]);
  });

  it('prints both node proxies and how to see the identity of a call', () => {
    const text = guide(settings, server, '/repo');
    expect(text).toContain('on node "local" at 127.30.0.1');
    expect(text).toContain('on node "local-b" at 127.30.0.2');
    expect(text).toContain('curl -s http://127.0.0.1:19091/metrics | grep nodemesh_mesh_calls_total');
    expect(text).toContain(
      'curl -s http://127.30.0.2:19093/metrics | grep nodemesh_tunnel_inbound_streams_total',
    );
    expect(text).toContain('source_identity="spiffe://cluster.local/ns/default/sa/bookbuyer"');
    expect(text).toContain(`kubectl --server ${server} annotate namespace default nodemesh.io/mtls=strict`);
  });
});
