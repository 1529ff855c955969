import type { SmiResource } from '../model/index.js';
import { describeValue } from '../validation/describe.js';
import { isObject, own } from '../validation/read-fields.js';
import { fail, type Result } from '../validation/result.js';
import { validateHTTPRouteGroupV1alpha3, validateHTTPRouteGroupV1alpha4 } from './http-route-group.js';
import {
  validateTCPRouteV1alpha3,
  validateTCPRouteV1alpha4,
  validateUDPRouteV1alpha4,
} from './port-routes.js';
import {
  validateTrafficSplitV1alpha2,
  validateTrafficSplitV1alpha3,
  validateTrafficSplitV1alpha4,
} from './traffic-split.js';
import { validateTrafficTargetV1alpha2, validateTrafficTargetV1alpha3 } from './traffic-target.js';
import { ACCESS_GROUP, SPECS_GROUP, SPLIT_GROUP } from './vocabulary.js';

/** One kind in one served version, and the validator that normalises it. */
export interface SmiResourceType {
  readonly apiVersion: string;
  readonly kind: SmiResource['kind'];
  readonly validate: (value: unknown) => Result<SmiResource>;
}

/** Every SMI kind and version Nodemesh serves, oldest version first within a kind. */
export const SMI_RESOURCE_TYPES: readonly SmiResourceType[] = [
  { apiVersion: `${ACCESS_GROUP}/v1alpha2`, kind: 'TrafficTarget', validate: validateTrafficTargetV1alpha2 },
  { apiVersion: `${ACCESS_GROUP}/v1alpha3`, kind: 'TrafficTarget', validate: validateTrafficTargetV1alpha3 },
  { apiVersion: `${SPECS_GROUP}/v1alpha3`, kind: 'HTTPRouteGroup', validate: validateHTTPRouteGroupV1alpha3 },
  { apiVersion: `${SPECS_GROUP}/v1alpha4`, kind: 'HTTPRouteGroup', validate: validateHTTPRouteGroupV1alpha4 },
  { apiVersion: `${SPECS_GROUP}/v1alpha3`, kind: 'TCPRoute', validate: validateTCPRouteV1alpha3 },
  { apiVersion: `${SPECS_GROUP}/v1alpha4`, kind: 'TCPRoute', validate: validateTCPRouteV1alpha4 },
  { apiVersion: `${SPECS_GROUP}/v1alpha4`, kind: 'UDPRoute', validate: validateUDPRouteV1alpha4 },
  { apiVersion: `${SPLIT_GROUP}/v1alpha2`, kind: 'TrafficSplit', validate: validateTrafficSplitV1alpha2 },
  { apiVersion: `${SPLIT_GROUP}/v1alpha3`, kind: 'TrafficSplit', validate: validateTrafficSplitV1alpha3 },
  { apiVersion: `${SPLIT_GROUP}/v1alpha4`, kind: 'TrafficSplit', validate: validateTrafficSplitV1alpha4 },
];

/** The validator for an apiVersion and kind, if Nodemesh serves that pair. */
export function findSmiResourceType(apiVersion: unknown, kind: unknown): SmiResourceType | undefined {
  return SMI_RESOURCE_TYPES.find((type) => type.apiVersion === apiVersion && type.kind === kind);
}

/**
 * Validates any SMI object as the API server returns it and normalises it to the model, choosing the
 * validator by `apiVersion` and `kind`. An unknown pair is an error that lists the accepted ones.
 */
export function parseSmiResource(value: unknown): Result<SmiResource> {
  if (!isObject(value))
    return fail([{ path: '', message: `must be an object, got ${describeValue(value)}` }]);
  const apiVersion = own(value, 'apiVersion');
  const kind = own(value, 'kind');
  const type = findSmiResourceType(apiVersion, kind);
  if (type !== undefined) return type.validate(value);
  const accepted = SMI_RESOURCE_TYPES.map((t) => `${t.apiVersion} ${t.kind}`).join(', ');
  return fail([
    {
      path: '',
      message: `is not an SMI resource Nodemesh serves: apiVersion ${describeValue(apiVersion)}, kind ${describeValue(kind)}; accepted: ${accepted}`,
    },
  ]);
}
