export { type CustomResourceDefinition, smiCustomResourceDefinitions } from './definitions.js';
export { renderSmiCrdsYaml } from './render.js';
export type { JsonSchema } from './schema-builders.js';
export { SMI_SCHEMAS } from './schemas.js';
