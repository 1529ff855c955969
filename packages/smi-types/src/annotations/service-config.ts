/** How the mesh treats a Service, from its `nodemesh.io/*` annotations (see parse-service-annotations.ts). */

export type TrafficType = 'http' | 'tcp' | 'udp';

/** How the node-proxy speaks to an HTTP Service's pods: HTTP/1.1, or HTTP/2 without TLS (gRPC). */
export type HttpScheme = 'http' | 'h2c';

export interface RetryConfig {
  /** Extra attempts after the first; 0 disables retries. */
  readonly attempts: number;
  /** Timeout of each attempt, in milliseconds. */
  readonly perTryTimeoutMs: number;
}

export interface RateLimitConfig {
  /** Sustained requests per second allowed per node (token refill rate). */
  readonly average: number;
  /** Requests allowed at once above the average (bucket size). */
  readonly burst: number;
}

/** The annotation prefix of every Nodemesh Service annotation. */
export const ANNOTATION_PREFIX = 'nodemesh.io/';
