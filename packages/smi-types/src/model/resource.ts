/** Where a normalised resource came from: enough to report on it and to tell versions apart in logs. */
export interface ResourceMeta {
  readonly namespace: string;
  readonly name: string;
  /** The apiVersion the object was served in, e.g. `split.smi-spec.io/v1alpha2`. */
  readonly apiVersion: string;
  /** `metadata.resourceVersion`, when the API server gave one. */
  readonly resourceVersion?: string;
}
