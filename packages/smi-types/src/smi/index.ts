export { SMI_EXAMPLES, type SmiExample } from './examples.js';
export { validateHTTPRouteGroupV1alpha3, validateHTTPRouteGroupV1alpha4 } from './http-route-group.js';
export { findSmiResourceType, parseSmiResource, SMI_RESOURCE_TYPES, type SmiResourceType } from './parse.js';
export {
  validateTCPRouteV1alpha3,
  validateTCPRouteV1alpha4,
  validateUDPRouteV1alpha4,
} from './port-routes.js';
export {
  validateTrafficSplitV1alpha2,
  validateTrafficSplitV1alpha3,
  validateTrafficSplitV1alpha4,
} from './traffic-split.js';
export { validateTrafficTargetV1alpha2, validateTrafficTargetV1alpha3 } from './traffic-target.js';
export {
  ACCESS_GROUP,
  ANY_METHOD,
  HTTP_METHODS,
  ROUTE_KINDS,
  type RouteKind,
  SPECS_GROUP,
  SPLIT_GROUP,
  SPLIT_MATCH_KINDS,
  type SplitMatchKind,
} from './vocabulary.js';
