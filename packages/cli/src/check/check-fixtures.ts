/** Observations of a mesh for the unit tests of the checks: healthy, then changed one thing at a time. */
import { addMeshBlock, DEFAULT_CONTROLLER_CONFIG } from '@nodemesh/dns-controller';
import { smiCustomResourceDefinitions } from '@nodemesh/smi-types';
import type { MeshPod } from '../mesh/mesh-pods.js';
import type { MeshObservation, ProbedPod } from './observation.js';

export const NOW = Date.parse('2026-01-01T12:00:00Z');
export const BASE_COREFILE = '.:53 {\n    forward . /etc/resolv.conf\n}\n';

export function meshPod(name: string, node: string, ready = true): MeshPod {
  return {
    namespace: 'nodemesh',
    name,
    nodeName: node,
    phase: 'Running',
    ready,
    adminPort: 9090,
    debugPort: undefined,
    image: undefined,
    args: ['run'],
    env: [],
    envFromConfigMaps: [],
  };
}
export const probed = (pod: MeshPod, ready = true): ProbedPod => ({
  pod,
  probe: { ready, detail: ready ? '/readyz answered 200' : 'connect ECONNREFUSED' },
});

export function healthy(): MeshObservation {
  const block = addMeshBlock(BASE_COREFILE, { domain: 'mesh', address: '10.96.0.53', port: 53 });
  if (!block.ok) throw new Error('no block');
  return {
    now: NOW,
    server: 'https://k8s',
    serverVersion: 'v1.30.0',
    settings: { config: DEFAULT_CONTROLLER_CONFIG, source: 'pod', problem: undefined },
    crds: new Map(
      smiCustomResourceDefinitions().map((crd) => [
        crd.metadata.name,
        { status: { conditions: [{ type: 'Established', status: 'True' }] } },
      ]),
    ),
    controllerDeployment: { spec: { replicas: 2 } },
    controllerPods: [probed(meshPod('dns-a', 'n1')), probed(meshPod('dns-b', 'n2'))],
    lease: {
      spec: {
        holderIdentity: 'dns-a',
        renewTime: new Date(NOW - 2000).toISOString(),
        leaseDurationSeconds: 15,
      },
    },
    clusterDnsConfigMaps: new Map([['coredns', { data: { Corefile: block.value.corefile } }]]),
    dnsService: { spec: { clusterIP: '10.96.0.53' } },
    nodes: [
      { metadata: { name: 'n1' } },
      { metadata: { name: 'n2' } },
      { metadata: { name: 'cordoned' }, spec: { unschedulable: true } },
    ],
    proxyPods: [probed(meshPod('proxy-1', 'n1')), probed(meshPod('proxy-2', 'n2'))],
    services: [],
    events: [],
  };
}
