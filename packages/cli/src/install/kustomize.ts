/**
 * Renders the install from deploy/ with no network and no kubectl: the kustomize features deploy/ uses
 * (resources as files or directories, patches of whole objects by `{path}`, images by `{name, newTag}`),
 * and refuses any other, so a new feature in deploy/ fails loudly instead of rendering something else.
 * e2e/deploy/cli-install.test.ts keeps this rendering equal to the test expander and to `kubectl kustomize`.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';

export interface ManifestObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; [key: string]: unknown };
  [key: string]: unknown;
}

type Rec = Record<string, unknown>;
const isRec = (value: unknown): value is Rec =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const SUPPORTED = new Set(['apiVersion', 'kind', 'resources', 'patches', 'images']);

export const objectKey = (o: ManifestObject): string =>
  `${o.apiVersion}/${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;

export function readObjects(file: string): ManifestObject[] {
  const objects: ManifestObject[] = [];
  for (const [index, document] of parseAllDocuments(readFileSync(file, 'utf8')).entries()) {
    if (document.errors.length > 0)
      throw new Error(`${file}: document ${index}: ${document.errors[0]?.message}`);
    const value: unknown = document.toJS();
    if (value === null || value === undefined) continue;
    if (
      !isRec(value) ||
      typeof value.apiVersion !== 'string' ||
      typeof value.kind !== 'string' ||
      !isRec(value.metadata) ||
      typeof value.metadata.name !== 'string'
    ) {
      throw new Error(`${file}: document ${index} is not a Kubernetes object`);
    }
    objects.push(value as ManifestObject);
  }
  return objects;
}

export function readKustomization(dir: string): Rec {
  const file = join(dir, 'kustomization.yaml');
  const value: unknown = parseAllDocuments(readFileSync(file, 'utf8'))[0]?.toJS();
  if (!isRec(value)) throw new Error(`${file}: not a YAML mapping`);
  for (const key of Object.keys(value)) {
    if (!SUPPORTED.has(key)) throw new Error(`${file}: "${key}" is not supported by nodemesh install`);
  }
  return value;
}

const strings = (value: unknown, where: string): string[] => {
  if (value === undefined) return [];
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string'))
    throw new Error(`${where}: expected a list of strings`);
  return value;
};

/** The objects of a kustomization directory, in file order. */
export function expand(dir: string): ManifestObject[] {
  const kustomization = readKustomization(dir);
  let objects: ManifestObject[] = [];
  for (const resource of strings(kustomization.resources, `${dir}: resources`)) {
    const path = join(dir, resource);
    objects.push(...(existsSync(path) && statSync(path).isDirectory() ? expand(path) : readObjects(path)));
  }
  for (const patch of patchFiles(dir, kustomization)) {
    for (const patchObject of readObjects(patch)) objects = applyPatch(objects, patchObject, dir);
  }
  const images = kustomization.images ?? [];
  if (!Array.isArray(images)) throw new Error(`${dir}: images must be a list`);
  for (const image of images) {
    if (!isRec(image) || typeof image.name !== 'string' || typeof image.newTag !== 'string') {
      throw new Error(`${dir}: only images of the form {name, newTag} are supported`);
    }
    for (const object of objects) setImageTag(object, image.name, image.newTag);
  }
  return objects;
}

/** The patch files a kustomization lists (`patches: [{path}]`), as paths. */
export function patchFiles(dir: string, kustomization: Rec = readKustomization(dir)): string[] {
  const patches = kustomization.patches ?? [];
  if (!Array.isArray(patches)) throw new Error(`${dir}: patches must be a list`);
  return patches.map((patch) => {
    if (!isRec(patch) || typeof patch.path !== 'string' || Object.keys(patch).length !== 1) {
      throw new Error(`${dir}: only patches of the form {path: file} are supported`);
    }
    return join(dir, patch.path);
  });
}

export function applyPatch(
  objects: ManifestObject[],
  patch: ManifestObject,
  where: string,
): ManifestObject[] {
  const key = objectKey(patch);
  if (!objects.some((o) => objectKey(o) === key)) throw new Error(`${where}: patch target ${key} not found`);
  return objects.map((o) => (objectKey(o) === key ? (mergePatch(o, patch) as ManifestObject) : o));
}

/** Maps merge, everything else is replaced; null deletes (what deploy/'s patches need of a strategic merge). */
function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isRec(target) || !isRec(patch)) return patch;
  const merged: Rec = { ...target };
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete merged[key];
    else merged[key] = mergePatch(target[key], value);
  }
  return merged;
}

function setImageTag(object: ManifestObject, name: string, tag: string): void {
  const spec =
    isRec(object.spec) && isRec(object.spec.template) && isRec(object.spec.template.spec)
      ? object.spec.template.spec
      : undefined;
  if (spec === undefined) return;
  for (const list of [spec.containers, spec.initContainers]) {
    for (const container of Array.isArray(list) ? list : []) {
      if (!isRec(container) || typeof container.image !== 'string') continue;
      if (container.image.split(/[:@]/)[0] === name) container.image = `${name}:${tag}`;
    }
  }
}

/** kustomize's legacy output order by kind (namespaces and CRDs first, workloads late); others keep their place after. */
const KIND_ORDER = [
  'Namespace',
  'ResourceQuota',
  'StorageClass',
  'CustomResourceDefinition',
  'ServiceAccount',
  'PodSecurityPolicy',
  'Role',
  'ClusterRole',
  'RoleBinding',
  'ClusterRoleBinding',
  'ConfigMap',
  'Secret',
  'Endpoints',
  'Service',
  'LimitRange',
  'PriorityClass',
  'PersistentVolume',
  'PersistentVolumeClaim',
  'Deployment',
  'StatefulSet',
  'CronJob',
  'PodDisruptionBudget',
];

export function orderForApply(objects: readonly ManifestObject[]): ManifestObject[] {
  const rank = (o: ManifestObject) => {
    const i = KIND_ORDER.indexOf(o.kind);
    return i < 0 ? KIND_ORDER.length : i;
  };
  return objects
    .map((o, i) => ({ o, i }))
    .sort((a, b) => rank(a.o) - rank(b.o) || a.i - b.i)
    .map(({ o }) => o);
}
