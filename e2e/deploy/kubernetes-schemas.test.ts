/** Every manifest under deploy/ is valid against the Kubernetes OpenAPI schemas of its kind. */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  CLEANUP_JOB_FILE,
  CRDS_FILE,
  CRDS_MISSING_MESSAGE,
  crdsPresent,
  DEPLOY_DIR,
  expandKustomization,
  type KubeObject,
  OVERLAYS,
  objectKey,
  RENDERED_FILE,
  readYamlObjects,
} from './manifests.js';
import { schemaErrors } from './schemas.js';

const SOURCES: ReadonlyArray<readonly [string, () => KubeObject[]]> = [
  ['the default kustomization', () => expandKustomization(DEPLOY_DIR, { withoutCrds: true })],
  ...OVERLAYS.map(
    (overlay) =>
      [
        `overlay ${overlay}`,
        () => expandKustomization(join(DEPLOY_DIR, 'overlays', overlay), { withoutCrds: true }),
      ] as const,
  ),
  ['deploy/nodemesh.yaml', () => readYamlObjects(RENDERED_FILE)],
  ['the cleanup Job', () => readYamlObjects(CLEANUP_JOB_FILE)],
  ['the PodMonitors', () => readYamlObjects(join(DEPLOY_DIR, 'prometheus', 'podmonitors.yaml'))],
];

describe('Kubernetes schemas', () => {
  it.each(SOURCES)('%s: every object is valid', (_name, load) => {
    const objects = load();
    expect(objects.length).toBeGreaterThan(0);
    const problems = objects.flatMap((object) =>
      schemaErrors(object).map((e) => `${objectKey(object)}: ${e}`),
    );
    expect(problems).toEqual([]);
  });

  it.skipIf(!crdsPresent())('the SMI CRDs are valid CustomResourceDefinitions', () => {
    const crds = readYamlObjects(CRDS_FILE);
    expect(crds.length).toBeGreaterThan(0);
    expect(crds.flatMap((crd) => schemaErrors(crd).map((e) => `${objectKey(crd)}: ${e}`))).toEqual([]);
  });
  if (!crdsPresent()) it.skip(CRDS_MISSING_MESSAGE, () => {});

  it('rejects a broken object, so the checks above can fail', () => {
    const broken: KubeObject = {
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      metadata: { name: 'broken' },
      spec: {
        selector: {},
        template: { spec: { containers: [{ image: 'x', ports: [{ containerPort: 'admin' }] }] } },
      },
    };
    const errors = schemaErrors(broken);
    expect(errors).toContainEqual(
      expect.stringContaining('/spec/template/spec/containers/0 must have required property'),
    );
    expect(errors).toContainEqual(
      expect.stringContaining('/spec/template/spec/containers/0/ports/0/containerPort'),
    );
    expect(schemaErrors({ apiVersion: 'example.com/v1', kind: 'Unknown', metadata: { name: 'x' } })).toEqual([
      'no schema for example.com/v1 Unknown',
    ]);
  });
});
