import type { ResourceMeta } from './resource.js';

/** One backend of a TrafficSplit: a Service in the split's namespace and its share of the traffic. */
export interface TrafficSplitBackend {
  readonly service: string;
  /** Non-negative integer; shares are weight / sum of weights. A weight of 0 gets no traffic. */
  readonly weight: number;
}

/**
 * A reference from a TrafficSplit (v1alpha3+) to the HTTP routes whose requests it splits. Only
 * HTTPRouteGroup, as in the published SMI CRD: a TCP/UDP split has nothing to narrow.
 */
export interface TrafficSplitMatch {
  readonly kind: 'HTTPRouteGroup';
  readonly name: string;
}

/**
 * split.smi-spec.io TrafficSplit, every served version (v1alpha2, v1alpha3, v1alpha4) normalised.
 * Weights are plain integers in every served version; only v1alpha1 (not served) had quantities like "500m".
 */
export interface TrafficSplit extends ResourceMeta {
  readonly kind: 'TrafficSplit';
  /** The root Service: callers address it; the split sends its traffic to the backends. */
  readonly service: string;
  readonly backends: readonly TrafficSplitBackend[];
  /** Empty: the split applies to all traffic of the root Service. */
  readonly matches: readonly TrafficSplitMatch[];
}
