import type { ResourceMeta } from './resource.js';

/** A ServiceAccount named by a TrafficTarget. */
export interface ServiceAccountSubject {
  readonly kind: 'ServiceAccount';
  readonly namespace: string;
  readonly name: string;
}

/** The destination of a TrafficTarget: a ServiceAccount, and optionally the one port it may be called on. */
export interface TrafficTargetDestination extends ServiceAccountSubject {
  readonly port?: number;
}

/** A rule: the route resource that describes allowed traffic, and optionally which of its named matches. */
export interface TrafficTargetRule {
  readonly kind: 'HTTPRouteGroup' | 'TCPRoute' | 'UDPRoute';
  readonly name: string;
  /** Names of matches in the route resource; empty means all of its matches. */
  readonly matches: readonly string[];
}

/**
 * access.smi-spec.io TrafficTarget (v1alpha2, v1alpha3). A target with no rules allows nothing.
 */
export interface TrafficTarget extends ResourceMeta {
  readonly kind: 'TrafficTarget';
  readonly destination: TrafficTargetDestination;
  readonly sources: readonly ServiceAccountSubject[];
  readonly rules: readonly TrafficTargetRule[];
}
