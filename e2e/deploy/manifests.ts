/**
 * Reads the deploy/ manifests: YAML files, and kustomizations expanded the way kustomize does for the
 * features deploy/ uses (resources, patches of whole objects, images). Expanding them here means the tests
 * need no kubectl; where kubectl is present, rendered-manifest.test.ts checks this expansion against it.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const DEPLOY_DIR = join(REPO_ROOT, 'deploy');
/** Generated from smi-types by another part of the project; until it exists, CRD checks are skipped. */
export const CRDS_FILE = join(DEPLOY_DIR, 'crds', 'smi-crds.yaml');
export const RENDERED_FILE = join(DEPLOY_DIR, 'nodemesh.yaml');
export const CLEANUP_JOB_FILE = join(DEPLOY_DIR, 'uninstall', 'cleanup-job.yaml');
export const OVERLAYS = ['access-control', 'kube-dns'] as const;

export const crdsPresent = (): boolean => existsSync(CRDS_FILE);
export const CRDS_MISSING_MESSAGE =
  'deploy/crds/smi-crds.yaml is not generated yet: CRD checks are skipped and the CRDs are left out of the expected render';

export interface ObjectMeta {
  name: string;
  namespace?: string;
  labels?: Record<string, string>;
  [key: string]: unknown;
}

/** A Kubernetes object as read from YAML: only the type and identity are known until a schema validates it. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  [key: string]: unknown;
}

export const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const isKubeObject = (value: unknown): value is KubeObject =>
  isRecord(value) &&
  typeof value.apiVersion === 'string' &&
  typeof value.kind === 'string' &&
  isRecord(value.metadata) &&
  typeof value.metadata.name === 'string';

/** `apiVersion/kind/namespace/name`: unique within one install. */
export const objectKey = (object: KubeObject): string =>
  `${object.apiVersion}/${object.kind}/${object.metadata.namespace ?? ''}/${object.metadata.name}`;

/** Every object of a multi-document YAML file; throws on YAML errors and on documents that are not objects. */
export function readYamlObjects(file: string): KubeObject[] {
  return parseYamlObjects(readFileSync(file, 'utf8'), file);
}

export function parseYamlObjects(text: string, origin: string): KubeObject[] {
  const objects: KubeObject[] = [];
  for (const [index, document] of parseAllDocuments(text).entries()) {
    if (document.errors.length > 0) {
      throw new Error(`${origin}: document ${index}: ${document.errors.map((e) => e.message).join('; ')}`);
    }
    const value: unknown = document.toJS();
    if (value === null || value === undefined) continue;
    if (!isKubeObject(value)) {
      throw new Error(
        `${origin}: document ${index} is not a Kubernetes object (apiVersion, kind, metadata.name)`,
      );
    }
    objects.push(value);
  }
  return objects;
}

const readYamlRecord = (file: string): Record<string, unknown> => {
  const [document, ...rest] = parseAllDocuments(readFileSync(file, 'utf8'));
  const value: unknown = document?.toJS();
  if (rest.length > 0 || !isRecord(value)) throw new Error(`${file}: expected one YAML mapping`);
  return value;
};

const stringList = (value: unknown, where: string): string[] => {
  if (value === undefined) return [];
  if (!Array.isArray(value) || !value.every((item) => typeof item === 'string')) {
    throw new Error(`${where}: expected a list of strings`);
  }
  return value;
};

const SUPPORTED_KEYS = new Set(['apiVersion', 'kind', 'resources', 'patches', 'images']);

/**
 * The objects `kubectl kustomize <dir>` would print, in file order. Throws on any kustomization feature it
 * does not implement, so that using one makes the tests fail rather than silently disagree with kustomize.
 * With `withoutCrds`, a missing deploy/crds/smi-crds.yaml counts as empty.
 */
export function expandKustomization(dir: string, options: { withoutCrds?: boolean } = {}): KubeObject[] {
  const file = join(dir, 'kustomization.yaml');
  const kustomization = readYamlRecord(file);
  for (const key of Object.keys(kustomization)) {
    if (!SUPPORTED_KEYS.has(key))
      throw new Error(`${file}: "${key}" is not supported by the test's expander`);
  }
  let objects: KubeObject[] = [];
  for (const resource of stringList(kustomization.resources, `${file}: resources`)) {
    const path = join(dir, resource);
    if (options.withoutCrds === true && path === CRDS_FILE && !existsSync(path)) continue;
    if (existsSync(path) && statSync(path).isDirectory()) objects.push(...expandKustomization(path, options));
    else objects.push(...readYamlObjects(path));
  }
  const patches = kustomization.patches ?? [];
  if (!Array.isArray(patches)) throw new Error(`${file}: patches must be a list`);
  for (const patch of patches) {
    if (!isRecord(patch) || typeof patch.path !== 'string' || Object.keys(patch).length !== 1) {
      throw new Error(`${file}: only patches of the form {path: file} are supported`);
    }
    for (const patchObject of readYamlObjects(join(dir, patch.path))) {
      objects = applyPatch(objects, patchObject, file);
    }
  }
  const images = kustomization.images ?? [];
  if (!Array.isArray(images)) throw new Error(`${file}: images must be a list`);
  for (const image of images) {
    if (!isRecord(image) || typeof image.name !== 'string' || typeof image.newTag !== 'string') {
      throw new Error(`${file}: only images of the form {name, newTag} are supported`);
    }
    for (const object of objects) setImageTag(object, image.name, image.newTag);
  }
  return objects;
}

function applyPatch(objects: KubeObject[], patch: KubeObject, where: string): KubeObject[] {
  const key = objectKey(patch);
  if (!objects.some((object) => objectKey(object) === key))
    throw new Error(`${where}: patch target ${key} not found`);
  return objects.map((object) =>
    objectKey(object) === key ? (mergePatch(object, patch) as KubeObject) : object,
  );
}

/** A strategic merge patch for what deploy/ patches: maps merge, everything else is replaced. */
function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isRecord(target) || !isRecord(patch)) return patch;
  const merged: Record<string, unknown> = { ...target };
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete merged[key];
    else merged[key] = mergePatch(target[key], value);
  }
  return merged;
}

/** Every container (and init container) of a workload's pod template, or of nothing. */
export function podTemplateContainers(object: KubeObject): Record<string, unknown>[] {
  const pod = podSpec(object);
  if (pod === undefined) return [];
  return [pod.containers, pod.initContainers].flatMap((list) =>
    Array.isArray(list) ? list.filter(isRecord) : [],
  );
}

/** The pod spec of a Deployment, DaemonSet or Job. */
export function podSpec(object: KubeObject): Record<string, unknown> | undefined {
  const spec = object.spec;
  if (!isRecord(spec) || !isRecord(spec.template) || !isRecord(spec.template.spec)) return undefined;
  return spec.template.spec;
}

function setImageTag(object: KubeObject, name: string, tag: string): void {
  for (const container of podTemplateContainers(object)) {
    if (typeof container.image !== 'string') continue;
    const [repository] = container.image.split(/[:@]/);
    if (repository === name) container.image = `${name}:${tag}`;
  }
}

/** kubectl's embedded kustomize version, or why it cannot be used here. */
export function kubectlKustomize(): { ok: true; version: string } | { ok: false; reason: string } {
  try {
    const output = execFileSync('kubectl', ['version', '--client', '-o', 'json'], { encoding: 'utf8' });
    const parsed: unknown = JSON.parse(output);
    const version =
      isRecord(parsed) && typeof parsed.kustomizeVersion === 'string' ? parsed.kustomizeVersion : '';
    const major = Number(/^v?(\d+)\./.exec(version)?.[1] ?? 0);
    if (major < 4)
      return { ok: false, reason: `kubectl's kustomize (${version || 'unknown'}) is older than v4` };
    return { ok: true, version };
  } catch (error) {
    return {
      ok: false,
      reason: `kubectl is not usable: ${error instanceof Error ? error.message : String(error)}`,
    };
  }
}

/**
 * Runs `kubectl kustomize` on a directory of deploy/ (relative path). Without the CRD file, it renders a copy
 * of deploy/ with the CRDs left out, as `expandKustomization(..., {withoutCrds: true})` does.
 */
export function renderWithKubectl(relativeDir: string): KubeObject[] {
  if (crdsPresent()) {
    return parseYamlObjects(execKustomize(join(DEPLOY_DIR, relativeDir)), `kubectl kustomize ${relativeDir}`);
  }
  const copy = mkdtempSync(join(tmpdir(), 'nodemesh-deploy-'));
  try {
    cpSync(DEPLOY_DIR, copy, { recursive: true });
    const root = join(copy, 'kustomization.yaml');
    writeFileSync(root, readFileSync(root, 'utf8').replace(/^\s*- crds\/smi-crds\.yaml\n/m, ''));
    writeFileSync(
      join(copy, 'crds', 'kustomization.yaml'),
      'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: []\n',
    );
    return parseYamlObjects(execKustomize(join(copy, relativeDir)), `kubectl kustomize ${relativeDir}`);
  } finally {
    rmSync(copy, { recursive: true, force: true });
  }
}

const execKustomize = (dir: string): string =>
  execFileSync('kubectl', ['kustomize', dir], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

/** The version in a workspace package's package.json: the image tag deploy/ must use. */
export function packageVersion(pkg: string): string {
  const parsed: unknown = JSON.parse(readFileSync(join(REPO_ROOT, 'packages', pkg, 'package.json'), 'utf8'));
  if (!isRecord(parsed) || typeof parsed.version !== 'string') throw new Error(`packages/${pkg}: no version`);
  return parsed.version;
}
