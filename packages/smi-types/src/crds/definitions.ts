import { SMI_RESOURCE_TYPES } from '../smi/parse.js';
import type { JsonSchema } from './schema-builders.js';
import { SMI_SCHEMAS } from './schemas.js';

/** The parts of an apiextensions.k8s.io/v1 CustomResourceDefinition that Nodemesh writes. */
export interface CustomResourceDefinition {
  readonly apiVersion: 'apiextensions.k8s.io/v1';
  readonly kind: 'CustomResourceDefinition';
  readonly metadata: { readonly name: string; readonly labels: Readonly<Record<string, string>> };
  readonly spec: {
    readonly group: string;
    readonly scope: 'Namespaced';
    readonly names: {
      readonly kind: string;
      readonly listKind: string;
      readonly plural: string;
      readonly singular: string;
      readonly shortNames?: readonly string[];
    };
    readonly versions: readonly {
      readonly name: string;
      readonly served: true;
      readonly storage: boolean;
      readonly schema: { readonly openAPIV3Schema: JsonSchema };
      readonly subresources?: { readonly status: Readonly<Record<string, never>> };
    }[];
  };
}

/** Short names as SMI's own CRDs have them (UDPRoute has none there). */
const SHORT_NAMES: Readonly<Record<string, readonly string[]>> = {
  TrafficTarget: ['tt'],
  HTTPRouteGroup: ['htr'],
  TCPRoute: ['tr'],
  TrafficSplit: ['ts'],
};

/** Orders `v1alpha2` < `v1alpha10` < `v1beta1` < `v1` the way Kubernetes orders versions. */
function versionRank(version: string): [number, number, number] {
  const match = /^v(\d+)(?:(alpha|beta)(\d+))?$/.exec(version);
  if (match === null) return [0, 0, 0];
  const stability = match[2] === 'alpha' ? 0 : match[2] === 'beta' ? 1 : 2;
  return [Number(match[1]), stability, Number(match[3] ?? 0)];
}

function compareVersions(a: string, b: string): number {
  const [x, y] = [versionRank(a), versionRank(b)];
  return x[0] - y[0] || x[1] - y[1] || x[2] - y[2];
}

/**
 * One CRD per SMI kind, every served version listed, the newest one the storage version. Built from the same
 * table as `parseSmiResource`, so a version cannot be served without being validated, or the reverse.
 */
export function smiCustomResourceDefinitions(): CustomResourceDefinition[] {
  const kinds = new Map<string, { group: string; versions: string[] }>();
  for (const type of SMI_RESOURCE_TYPES) {
    const [group = '', version = ''] = type.apiVersion.split('/');
    const entry = kinds.get(type.kind) ?? { group, versions: [] };
    entry.versions.push(version);
    kinds.set(type.kind, entry);
  }
  return [...kinds].map(([kind, { group, versions }]) => {
    const sorted = [...versions].sort(compareVersions);
    const newest = sorted[sorted.length - 1];
    const plural = `${kind.toLowerCase()}s`;
    const shortNames = SHORT_NAMES[kind];
    return {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: `${plural}.${group}`, labels: { 'app.kubernetes.io/part-of': 'nodemesh' } },
      spec: {
        group,
        scope: 'Namespaced',
        names: {
          kind,
          listKind: `${kind}List`,
          plural,
          singular: kind.toLowerCase(),
          ...(shortNames === undefined ? {} : { shortNames }),
        },
        versions: sorted.map((name) => ({
          name,
          served: true,
          storage: name === newest,
          schema: { openAPIV3Schema: SMI_SCHEMAS[`${group}/${name} ${kind}`] ?? { type: 'object' } },
        })),
      },
    };
  });
}
