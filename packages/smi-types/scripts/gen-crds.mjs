// Writes deploy/crds/smi-crds.yaml from the built package, so the manifests never drift from the code.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { renderSmiCrdsYaml } from '../dist/index.js';

const target = fileURLToPath(new URL('../../../deploy/crds/smi-crds.yaml', import.meta.url));
writeFileSync(target, renderSmiCrdsYaml());
console.log(`wrote ${target}`);
