/** Where a normalised resource came from: enough to report on it and to tell versions apart in logs. */
export interface ResourceMeta {
  readonly namespace: string;
  readonly name: string;
  /** The apiVersion the object was served in, e.g. `split.smi-spec.io/v1alpha2`. */
  readonly apiVersion: string;
  /** `metadata.resourceVersion`, when the API server gave one. */
  readonly resourceVersion?: string;
  /** `metadata.uid`, when the API server gave one: Events name it, so `kubectl describe` finds them. */
  readonly uid?: string;
  /**
   * `metadata.creationTimestamp` (RFC 3339, as the API server writes it), when given: where two resources
   * claim the same thing (two TrafficSplits for one Service), the older one wins.
   */
  readonly creationTimestamp?: string;
}
