import { stringify } from 'yaml';
import { smiCustomResourceDefinitions } from './definitions.js';

/** The header of the rendered file: it is generated, and says how. */
const HEADER = [
  '# SMI CustomResourceDefinitions served by Nodemesh.',
  '# Generated from packages/smi-types/src/crds: do not edit by hand.',
  '# Regenerate with: pnpm --filter @nodemesh/smi-types gen:crds',
].join('\n');

/** Every SMI CRD as one multi-document YAML file, ready for `kubectl apply -f`. */
export function renderSmiCrdsYaml(): string {
  const documents = smiCustomResourceDefinitions().map((crd) =>
    stringify(crd, { lineWidth: 0, aliasDuplicateObjects: false }).trimEnd(),
  );
  return `${HEADER}\n---\n${documents.join('\n---\n')}\n`;
}
