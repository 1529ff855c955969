import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { SMI_RESOURCE_TYPES } from '../smi/parse.js';
import { smiCustomResourceDefinitions } from './definitions.js';
import { renderSmiCrdsYaml } from './render.js';

const committedPath = fileURLToPath(new URL('../../../../deploy/crds/smi-crds.yaml', import.meta.url));

interface JsonNode {
  readonly properties?: Readonly<Record<string, JsonNode>>;
  readonly items?: JsonNode;
  readonly enum?: readonly unknown[];
}

/** Paths of schema nodes that break the structural-schema rule: every node has a type. */
function untypedNodes(schema: unknown, path = ''): string[] {
  if (typeof schema !== 'object' || schema === null) return [];
  const node = schema as Record<string, unknown>;
  const found: string[] = [];
  if (node.type === undefined && node['x-kubernetes-preserve-unknown-fields'] !== true)
    found.push(path || '.');
  for (const [key, child] of Object.entries((node.properties as Record<string, unknown>) ?? {})) {
    found.push(...untypedNodes(child, `${path}.${key}`));
  }
  if (node.items !== undefined) found.push(...untypedNodes(node.items, `${path}[]`));
  return found;
}

describe('SMI CRDs', () => {
  const crds = smiCustomResourceDefinitions();

  it('has one CRD per kind, listing every served version', () => {
    const served = crds.flatMap((crd) =>
      crd.spec.versions.map((v) => `${crd.spec.group}/${v.name} ${crd.spec.names.kind}`),
    );
    expect(served.sort()).toEqual(SMI_RESOURCE_TYPES.map((t) => `${t.apiVersion} ${t.kind}`).sort());
    expect(crds.map((crd) => crd.metadata.name)).toEqual([
      'traffictargets.access.smi-spec.io',
      'httproutegroups.specs.smi-spec.io',
      'tcproutes.specs.smi-spec.io',
      'udproutes.specs.smi-spec.io',
      'trafficsplits.split.smi-spec.io',
    ]);
  });

  it('stores exactly one version, the newest, and serves them all', () => {
    const storage = Object.fromEntries(
      crds.map((crd) => [crd.spec.names.kind, crd.spec.versions.filter((v) => v.storage).map((v) => v.name)]),
    );
    expect(storage).toEqual({
      TrafficTarget: ['v1alpha3'],
      HTTPRouteGroup: ['v1alpha4'],
      TCPRoute: ['v1alpha4'],
      UDPRoute: ['v1alpha4'],
      TrafficSplit: ['v1alpha4'],
    });
    expect(crds.every((crd) => crd.spec.versions.every((v) => v.served))).toBe(true);
  });

  it('uses the short names SMI has, and is namespaced', () => {
    expect(crds.map((crd) => [crd.spec.names.kind, crd.spec.names.shortNames ?? []])).toEqual([
      ['TrafficTarget', ['tt']],
      ['HTTPRouteGroup', ['htr']],
      ['TCPRoute', ['tr']],
      ['UDPRoute', []],
      ['TrafficSplit', ['ts']],
    ]);
    expect(crds.every((crd) => crd.spec.scope === 'Namespaced')).toBe(true);
  });

  it('lets a TrafficSplit match name only an HTTPRouteGroup, as the published SMI CRD does', () => {
    const split = crds.find((crd) => crd.spec.names.kind === 'TrafficSplit');
    const kindEnums = split?.spec.versions
      .filter((v) => v.name !== 'v1alpha2')
      .map((v) => {
        const root = v.schema.openAPIV3Schema as JsonNode;
        return root.properties?.spec?.properties?.matches?.items?.properties?.kind?.enum;
      });
    expect(kindEnums).toEqual([['HTTPRouteGroup'], ['HTTPRouteGroup']]);
  });

  it('has structural schemas: every node typed, the root an object', () => {
    for (const crd of crds) {
      for (const version of crd.spec.versions) {
        expect(version.schema.openAPIV3Schema.type).toBe('object');
        expect(untypedNodes(version.schema.openAPIV3Schema), `${crd.metadata.name} ${version.name}`).toEqual(
          [],
        );
      }
    }
  });

  it('renders YAML that reads back as the same objects', () => {
    const documents = renderSmiCrdsYaml()
      .split(/^---$/m)
      .slice(1)
      .map((doc) => parse(doc) as unknown);
    expect(documents).toEqual(crds);
  });

  it('matches the committed deploy/crds/smi-crds.yaml', () => {
    const committed = readFileSync(committedPath, 'utf8');
    expect(
      committed === renderSmiCrdsYaml(),
      'deploy/crds/smi-crds.yaml is out of date: run `pnpm --filter @nodemesh/smi-types gen:crds` and commit it',
    ).toBe(true);
  });
});
