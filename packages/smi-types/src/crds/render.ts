import { createRequire } from 'node:module';
import { smiCustomResourceDefinitions } from './definitions.js';

/**
 * yaml is loaded when the CRDs are rendered (the generator script, tests), not by every importer of this
 * package: the node-proxy and the dns-controller never render them, and yaml costs them 9–14 MiB of RSS.
 */
const yaml = (): typeof import('yaml') => createRequire(import.meta.url)('yaml') as typeof import('yaml');

/** The header of the rendered file: it is generated, and says how. */
const HEADER = [
  '# SMI CustomResourceDefinitions served by Nodemesh.',
  '# Generated from packages/smi-types/src/crds: do not edit by hand.',
  '# Regenerate with: pnpm --filter @nodemesh/smi-types gen:crds',
].join('\n');

/** Every SMI CRD as one multi-document YAML file, ready for `kubectl apply -f`. */
export function renderSmiCrdsYaml(): string {
  const documents = smiCustomResourceDefinitions().map((crd) =>
    yaml().stringify(crd, { lineWidth: 0, aliasDuplicateObjects: false }).trimEnd(),
  );
  return `${HEADER}\n---\n${documents.join('\n---\n')}\n`;
}
