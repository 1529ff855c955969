import type { KubeObject } from '../api/kube-object.js';

/** Verbs a resource answers, as listed in discovery. */
export const allVerbs = [
  'create',
  'delete',
  'deletecollection',
  'get',
  'list',
  'patch',
  'update',
  'watch',
] as const;

/** A validator of a whole object; returns causes (empty when valid). Never throws. */
export type ObjectValidator = (obj: KubeObject) => { field: string; message: string }[];

/** One served resource: a group/version/plural with its kind, scope and subresources. */
export interface ResourceType {
  /** '' for the core group. */
  group: string;
  version: string;
  /** Plural, lower case: `services`. */
  plural: string;
  singular: string;
  kind: string;
  listKind: string;
  namespaced: boolean;
  shortNames: string[];
  categories: string[];
  /** Whether `/status` is served (and the main endpoint ignores status changes). */
  hasStatus: boolean;
  /** The verbs discovery lists, when not all of them (a resource that is only created, like TokenReview). */
  verbs?: readonly string[];
  /** Subresources other than status that discovery lists, with their verbs (`token` of serviceaccounts). */
  subresources?: readonly { name: string; group: string; kind: string; verbs: readonly string[] }[];
  /** Extra checks beyond the generic metadata ones (CRD schemas). */
  validate?: ObjectValidator;
  /** For CRD-defined resources: the name of the CRD. */
  crdName?: string;
  /** For CRD-defined resources: the version's `openAPIV3Schema`, for pruning undeclared fields. */
  schema?: unknown;
  /** For CRD-defined resources: `additionalPrinterColumns`, shown by `kubectl get`. */
  printerColumns?: PrinterColumn[];
}

/** A CRD printer column: a simple JSONPath (`.spec.service`, `.spec.backends[0].weight`). */
export interface PrinterColumn {
  name: string;
  type: string;
  jsonPath: string;
  priority: number;
}

export function apiVersionOf(type: Pick<ResourceType, 'group' | 'version'>): string {
  return type.group ? `${type.group}/${type.version}` : type.version;
}

/** The store key of a resource: `plural.group` (`services` for core). Versions share storage. */
export function storageKey(type: Pick<ResourceType, 'group' | 'plural'>): string {
  return type.group ? `${type.plural}.${type.group}` : type.plural;
}
