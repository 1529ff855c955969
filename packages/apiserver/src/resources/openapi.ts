import type { JsonObject } from '../api/kube-object.js';
import type { ResourceRegistry } from './resource-registry.js';
import { apiVersionOf, type ResourceType } from './resource-type.js';

/** The discovery path of a group version in OpenAPI v3: `api/v1` or `apis/<group>/<version>`. */
export function openApiPathOf(group: string, version: string): string {
  return group ? `apis/${group}/${version}` : `api/${version}`;
}

function groupVersions(registry: ResourceRegistry): { group: string; version: string }[] {
  const out: { group: string; version: string }[] = [];
  for (const t of registry.all()) {
    if (!out.some((gv) => gv.group === t.group && gv.version === t.version))
      out.push({ group: t.group, version: t.version });
  }
  return out;
}

/** `/openapi/v3`: where each group version's document lives. */
export function openApiRoot(registry: ResourceRegistry, generation: number): JsonObject {
  const paths: JsonObject = {};
  for (const { group, version } of groupVersions(registry)) {
    const path = openApiPathOf(group, version);
    paths[path] = { serverRelativeURL: `/openapi/v3/${path}?hash=g${generation}` };
  }
  return { paths };
}

function itemPath(type: ResourceType): string {
  const base = `/${openApiPathOf(type.group, type.version)}`;
  return type.namespaced
    ? `${base}/namespaces/{namespace}/${type.plural}/{name}`
    : `${base}/${type.plural}/{name}`;
}

/**
 * `/openapi/v3/<gv path>`: a minimal document. It holds no schemas, only one PATCH operation per kind that
 * declares the `fieldValidation` query parameter, which is what kubectl checks to leave validation to the
 * server. Without schemas kubectl computes client-side apply patches from its compiled-in types (built-ins)
 * or as merge patches (custom resources), as it does against any server whose OpenAPI lacks them.
 */
export function openApiGroupVersion(
  registry: ResourceRegistry,
  group: string,
  version: string,
): JsonObject | undefined {
  const types = registry.inGroupVersion(group, version);
  if (types.length === 0) return undefined;
  const paths: JsonObject = {};
  for (const type of types) {
    paths[itemPath(type)] = {
      patch: {
        operationId: `patch${type.kind}`,
        'x-kubernetes-action': 'patch',
        'x-kubernetes-group-version-kind': { group: type.group, version: type.version, kind: type.kind },
        parameters: [
          { name: 'dryRun', in: 'query', schema: { type: 'string' } },
          { name: 'fieldManager', in: 'query', schema: { type: 'string' } },
          { name: 'fieldValidation', in: 'query', schema: { type: 'string' } },
          { name: 'force', in: 'query', schema: { type: 'boolean' } },
        ],
        responses: { '200': { description: 'OK' } },
      },
    };
  }
  return {
    openapi: '3.0.0',
    info: { title: 'Kubernetes (nodemesh-apiserver)', version: apiVersionOf({ group, version }) },
    paths,
    components: { schemas: {} },
  };
}
