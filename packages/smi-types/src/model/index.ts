export type { ResourceMeta } from './resource.js';
export type { HTTPMatch, HTTPRouteGroup, PortMatch, TCPRoute, UDPRoute } from './routes.js';
export type { TrafficSplit, TrafficSplitBackend, TrafficSplitMatch } from './traffic-split.js';
export type {
  ServiceAccountSubject,
  TrafficTarget,
  TrafficTargetDestination,
  TrafficTargetRule,
} from './traffic-target.js';

import type { HTTPRouteGroup, TCPRoute, UDPRoute } from './routes.js';
import type { TrafficSplit } from './traffic-split.js';
import type { TrafficTarget } from './traffic-target.js';

/** Any SMI resource in the normalised model. */
export type SmiResource = TrafficTarget | HTTPRouteGroup | TCPRoute | UDPRoute | TrafficSplit;
