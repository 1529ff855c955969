/**
 * The manifests agree with the shadow-Service contract in smi-types (labels the shadow Services select on,
 * the mesh namespace and domain, port ranges) and, once generated, with the SMI CRDs the node-proxy reads.
 */
import {
  DEFAULT_MESH_DOMAIN,
  DEFAULT_MESH_NAMESPACE,
  DEFAULT_TCP_PORT_RANGE,
  DEFAULT_UDP_PORT_RANGE,
  LABEL_COMPONENT,
  LABEL_PART_OF,
  LABEL_PART_OF_VALUE,
  NODE_PROXY_COMPONENT,
} from '@nodemesh/smi-types';
import { describe, expect, it } from 'vitest';
import {
  CRDS_FILE,
  CRDS_MISSING_MESSAGE,
  crdsPresent,
  DEPLOY_DIR,
  expandKustomization,
  isRecord,
  type KubeObject,
  readYamlObjects,
} from './manifests.js';

const objects = expandKustomization(DEPLOY_DIR, { withoutCrds: true });
const record = (value: unknown): Record<string, unknown> => (isRecord(value) ? value : {});
const find = (kind: string, name: string): KubeObject => {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
  if (found === undefined) throw new Error(`no ${kind} ${name}`);
  return found;
};

describe('the shadow-Service contract (smi-types)', () => {
  it('node-proxy pods carry the labels shadow Services select on', () => {
    const template = record(record(find('DaemonSet', 'nodemesh-node-proxy').spec).template);
    expect(record(template.metadata).labels).toMatchObject({
      [LABEL_PART_OF]: LABEL_PART_OF_VALUE,
      [LABEL_COMPONENT]: NODE_PROXY_COMPONENT,
    });
  });

  it('everything is installed in the mesh namespace, configured with the default namespace and domain', () => {
    for (const o of objects.filter(
      (o) => o.metadata.namespace !== undefined && o.metadata.namespace !== 'kube-system',
    )) {
      expect(o.metadata.namespace, `${o.kind}/${o.metadata.name}`).toBe(DEFAULT_MESH_NAMESPACE);
    }
    const mesh = record(find('ConfigMap', 'nodemesh-mesh').data);
    expect(mesh.NODEMESH_MESH_NAMESPACE).toBe(DEFAULT_MESH_NAMESPACE);
    expect(mesh.NODEMESH_MESH_DOMAIN).toBe(DEFAULT_MESH_DOMAIN);
    expect(mesh.NODEMESH_TCP_PORTS).toBe(`${DEFAULT_TCP_PORT_RANGE.first}-${DEFAULT_TCP_PORT_RANGE.last}`);
    expect(mesh.NODEMESH_UDP_PORTS).toBe(`${DEFAULT_UDP_PORT_RANGE.first}-${DEFAULT_UDP_PORT_RANGE.last}`);
  });
});

describe('SMI CRDs and the node-proxy RBAC', () => {
  if (!crdsPresent()) it.skip(CRDS_MISSING_MESSAGE, () => {});

  it.skipIf(!crdsPresent())('the node-proxy may read every SMI CRD, and only those', () => {
    const crdResources = readYamlObjects(CRDS_FILE)
      .filter((o) => o.kind === 'CustomResourceDefinition')
      .map((crd) => {
        const spec = record(crd.spec);
        return `${String(spec.group)}/${String(record(spec.names).plural)}`;
      });
    const rules = (record(find('ClusterRole', 'nodemesh-node-proxy')).rules ?? []) as unknown[];
    const smiResources = rules.filter(isRecord).flatMap((rule) => {
      const groups = Array.isArray(rule.apiGroups) ? rule.apiGroups.map(String) : [];
      const resources = Array.isArray(rule.resources) ? rule.resources.map(String) : [];
      return groups
        .filter((g) => g.endsWith('smi-spec.io'))
        .flatMap((g) => resources.map((r) => `${g}/${r}`));
    });
    expect(smiResources.sort()).toEqual([...new Set(crdResources)].sort());
  });
});
