import { checkSubdomainName } from '../admission/object-names.js';
import type { StatusCause } from '../api/api-error.js';
import { getPath, isRecord, type KubeObject } from '../api/kube-object.js';
import { compileCrdSchema } from './crd-schema.js';
import type { PrinterColumn, ResourceType } from './resource-type.js';

function stringAt(obj: unknown, path: string[]): string | undefined {
  const v = getPath(obj, path);
  return typeof v === 'string' ? v : undefined;
}

function stringsAt(obj: unknown, path: string[]): string[] {
  const v = getPath(obj, path);
  return Array.isArray(v) ? v.filter((s): s is string => typeof s === 'string') : [];
}

function printerColumnsOf(value: unknown): PrinterColumn[] {
  if (!Array.isArray(value)) return [];
  return value.filter(isRecord).flatMap((c) =>
    typeof c.name === 'string' && typeof c.jsonPath === 'string'
      ? [
          {
            name: c.name,
            type: typeof c.type === 'string' ? c.type : 'string',
            jsonPath: c.jsonPath,
            priority: typeof c.priority === 'number' ? c.priority : 0,
          },
        ]
      : [],
  );
}

/**
 * Reads a CustomResourceDefinition into the resource types it serves (one per served version), or the causes
 * that make it invalid (the create is then answered 422). Pure apart from compiling the schemas.
 */
export function resourceTypesFromCrd(
  crd: KubeObject,
): { ok: true; types: ResourceType[] } | { ok: false; causes: StatusCause[] } {
  const causes: StatusCause[] = [];
  const group = stringAt(crd, ['spec', 'group']) ?? '';
  const plural = stringAt(crd, ['spec', 'names', 'plural']) ?? '';
  const kind = stringAt(crd, ['spec', 'names', 'kind']) ?? '';
  const scope = stringAt(crd, ['spec', 'scope']);
  if (!group || checkSubdomainName(group) || !group.includes('.')) {
    causes.push({
      field: 'spec.group',
      message: `Invalid value: ${JSON.stringify(group)}: should be a domain with at least one dot`,
    });
  }
  if (!plural || checkSubdomainName(plural)) {
    causes.push({
      field: 'spec.names.plural',
      message: `Invalid value: ${JSON.stringify(plural)}: must be a lower case DNS subdomain`,
    });
  }
  if (!/^[A-Z][A-Za-z0-9]*$/.test(kind)) {
    causes.push({
      field: 'spec.names.kind',
      message: `Invalid value: ${JSON.stringify(kind)}: must be a CamelCase name`,
    });
  }
  if (scope !== 'Namespaced' && scope !== 'Cluster') {
    causes.push({
      field: 'spec.scope',
      message: `Unsupported value: ${JSON.stringify(scope ?? '')}: supported values: "Cluster", "Namespaced"`,
    });
  }
  const expectedName = `${plural}.${group}`;
  if (crd.metadata.name !== expectedName) {
    causes.push({
      field: 'metadata.name',
      message: `Invalid value: ${JSON.stringify(crd.metadata.name ?? '')}: must be spec.names.plural+"."+spec.group`,
    });
  }
  const versions = getPath(crd, ['spec', 'versions']);
  const types: ResourceType[] = [];
  if (!Array.isArray(versions) || versions.length === 0) {
    causes.push({
      field: 'spec.versions',
      message: 'Required value: must have exactly one version marked as storage version',
    });
  } else {
    let storageCount = 0;
    versions.forEach((v: unknown, i) => {
      if (!isRecord(v) || typeof v.name !== 'string' || v.name === '') {
        causes.push({ field: `spec.versions[${i}].name`, message: 'Required value' });
        return;
      }
      if (v.storage === true) storageCount++;
      const compiled = compileCrdSchema(getPath(v, ['schema', 'openAPIV3Schema']));
      if (!compiled.ok) {
        causes.push({
          field: `spec.versions[${i}].schema.openAPIV3Schema`,
          message: `Invalid value: ${compiled.error}`,
        });
        return;
      }
      if (v.served === false) return;
      types.push({
        group,
        version: v.name,
        plural,
        singular: stringAt(crd, ['spec', 'names', 'singular']) ?? kind.toLowerCase(),
        kind,
        listKind: stringAt(crd, ['spec', 'names', 'listKind']) ?? `${kind}List`,
        namespaced: scope === 'Namespaced',
        shortNames: stringsAt(crd, ['spec', 'names', 'shortNames']),
        categories: stringsAt(crd, ['spec', 'names', 'categories']),
        hasStatus: isRecord(getPath(v, ['subresources', 'status'])),
        validate: compiled.validate,
        crdName: expectedName,
        printerColumns: printerColumnsOf(v.additionalPrinterColumns),
        schema: getPath(v, ['schema', 'openAPIV3Schema']),
      });
    });
    if (storageCount !== 1) {
      causes.push({
        field: 'spec.versions',
        message: 'Invalid value: must have exactly one version marked as storage version',
      });
    }
  }
  return causes.length > 0 ? { ok: false, causes } : { ok: true, types };
}
