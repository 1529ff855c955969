/**
 * The SMI collections the node-proxy watches: the newest served version of each kind (the API server serves
 * every stored object in any listed version, so nothing is hidden).
 */
import type { SmiResource } from '@nodemesh/smi-types';

export type SmiKind = SmiResource['kind'];

export interface SmiCollection {
  readonly kind: SmiKind;
  readonly group: string;
  readonly version: string;
  readonly plural: string;
}

export const SMI_COLLECTIONS: readonly SmiCollection[] = [
  { kind: 'TrafficSplit', group: 'split.smi-spec.io', version: 'v1alpha4', plural: 'trafficsplits' },
  { kind: 'HTTPRouteGroup', group: 'specs.smi-spec.io', version: 'v1alpha4', plural: 'httproutegroups' },
  { kind: 'TCPRoute', group: 'specs.smi-spec.io', version: 'v1alpha4', plural: 'tcproutes' },
  { kind: 'UDPRoute', group: 'specs.smi-spec.io', version: 'v1alpha4', plural: 'udproutes' },
  { kind: 'TrafficTarget', group: 'access.smi-spec.io', version: 'v1alpha3', plural: 'traffictargets' },
];

/** The cluster-wide collection path of a kind: `/apis/split.smi-spec.io/v1alpha4/trafficsplits`. */
export function smiCollectionPath(collection: SmiCollection): string {
  return `/apis/${collection.group}/${collection.version}/${collection.plural}`;
}
