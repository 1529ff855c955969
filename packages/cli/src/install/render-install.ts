/**
 * `nodemesh install`: the default kustomization of deploy/ (CRDs and base), with the patches of the overlays
 * asked for (`--access-control`, `--kube-dns`) applied on top, so the two can be combined.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { CliError, EXIT_FAILED } from '../output/exit-codes.js';
import {
  applyPatch,
  expand,
  type ManifestObject,
  orderForApply,
  patchFiles,
  readKustomization,
  readObjects,
} from './kustomize.js';

export type Overlay = 'access-control' | 'kube-dns';

export interface InstallOptions {
  readonly overlays: readonly Overlay[];
  /** deploy/ of this checkout unless given. */
  readonly deployDir?: string;
}

/** deploy/ beside this package in the repository (src/install or dist/install → ../../../../deploy). */
export function defaultDeployDir(): string {
  return fileURLToPath(new URL('../../../../deploy/', import.meta.url)).replace(/\/$/, '');
}

export function installObjects(options: InstallOptions): ManifestObject[] {
  const dir = resolve(options.deployDir ?? defaultDeployDir());
  if (!existsSync(join(dir, 'kustomization.yaml'))) {
    throw new CliError(
      `no deploy/ sources at ${dir}: run nodemesh from a checkout of the repository, or pass --deploy-dir`,
      EXIT_FAILED,
    );
  }
  let objects = expand(dir);
  for (const overlay of options.overlays) {
    const overlayDir = join(dir, 'overlays', overlay);
    const resources = readKustomization(overlayDir).resources;
    if (JSON.stringify(resources) !== JSON.stringify(['../../crds', '../../base'])) {
      throw new CliError(
        `${overlayDir}: an overlay must build on ../../crds and ../../base only`,
        EXIT_FAILED,
      );
    }
    for (const patch of patchFiles(overlayDir)) {
      for (const object of readObjects(patch)) objects = applyPatch(objects, object, overlayDir);
    }
  }
  return orderForApply(objects);
}

/** The objects as one multi-document YAML stream for `kubectl apply -f -`. */
export function renderInstall(objects: readonly ManifestObject[], header: string): string {
  return `# ${header}\n${objects.map((o) => `---\n${stringify(o, { lineWidth: 0 })}`).join('')}`;
}
