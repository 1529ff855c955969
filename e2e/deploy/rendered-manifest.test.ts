/**
 * deploy/nodemesh.yaml is the default kustomization rendered into one file (deploy/render.sh). These tests
 * fail as soon as the two disagree, with or without kubectl on the machine.
 */
import { describe, expect, it } from 'vitest';
import {
  CRDS_MISSING_MESSAGE,
  crdsPresent,
  DEPLOY_DIR,
  expandKustomization,
  type KubeObject,
  kubectlKustomize,
  OVERLAYS,
  objectKey,
  RENDERED_FILE,
  readYamlObjects,
  renderWithKubectl,
} from './manifests.js';

const byKey = (objects: readonly KubeObject[]): Map<string, KubeObject> => {
  const map = new Map<string, KubeObject>();
  for (const object of objects) {
    expect(map.has(objectKey(object)), `duplicate object ${objectKey(object)}`).toBe(false);
    map.set(objectKey(object), object);
  }
  return map;
};

/** Compares two sets of objects regardless of order (kustomize sorts by kind). */
const expectSameObjects = (
  actual: readonly KubeObject[],
  expected: readonly KubeObject[],
  hint: string,
): void => {
  const actualMap = byKey(actual);
  const expectedMap = byKey(expected);
  expect([...actualMap.keys()].sort(), hint).toEqual([...expectedMap.keys()].sort());
  for (const [key, object] of expectedMap) expect(actualMap.get(key), `${key}: ${hint}`).toEqual(object);
};

const STALE = 'deploy/nodemesh.yaml is stale: run deploy/render.sh';
const kubectl = kubectlKustomize();

describe('the rendered install file', () => {
  if (!crdsPresent()) it.skip(CRDS_MISSING_MESSAGE, () => {});

  it('holds exactly the objects of the default kustomization', () => {
    const expected = expandKustomization(DEPLOY_DIR, { withoutCrds: true });
    expectSameObjects(readYamlObjects(RENDERED_FILE), expected, STALE);
  });

  it('includes the SMI CRDs once they are generated', () => {
    const crds = readYamlObjects(RENDERED_FILE).filter((o) => o.kind === 'CustomResourceDefinition');
    if (crdsPresent()) expect(crds.length, STALE).toBeGreaterThan(0);
    else expect(crds).toEqual([]);
  });
});

describe.skipIf(!kubectl.ok)('kubectl kustomize', () => {
  it('renders deploy/ to the same objects as the rendered file', () => {
    expectSameObjects(renderWithKubectl('.'), readYamlObjects(RENDERED_FILE), STALE);
  });

  it.each(OVERLAYS)('renders overlay %s as the test expander does', (overlay) => {
    const dir = `overlays/${overlay}`;
    expectSameObjects(
      renderWithKubectl(dir),
      expandKustomization(`${DEPLOY_DIR}/${dir}`, { withoutCrds: true }),
      `the test expander disagrees with kubectl on ${dir}`,
    );
  });
});

if (!kubectl.ok) it.skip(`kubectl kustomize checks: ${kubectl.reason}`, () => {});
