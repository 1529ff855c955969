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

/**
 * A circuit breaker per backend Service: it opens when, within the rolling
 * window, at least `minimumRequests` were made and `errorPercentage` percent or more of them failed; it
 * stays open for `openDurationMs`, then lets one trial request through (half-open).
 */
export interface CircuitBreakerConfig {
  /** 1..100: the share of failed requests (or more) that opens the breaker. */
  readonly errorPercentage: number;
  /** Requests in the window before the breaker may open. */
  readonly minimumRequests: number;
  /** Length of the rolling statistics window, whole seconds in ms. */
  readonly windowMs: number;
  /** How long the breaker stays open before a trial request. */
  readonly openDurationMs: number;
}

/**
 * Everything the `nodemesh.io/*` annotations of one Service say, with the defaults filled in. For tcp and
 * udp traffic the HTTP policies (retry, timeout, circuit breaker, rate limit) are always absent.
 */
export interface ServiceMeshConfig {
  readonly trafficType: TrafficType;
  /** Only meaningful for http traffic. */
  readonly scheme: HttpScheme;
  /** Absent when the Service is not retried (attempts 0). */
  readonly retry: RetryConfig | undefined;
  /** Timeout of the whole request including retries, in ms; absent: no limit. */
  readonly timeoutMs: number | undefined;
  /** Absent: no circuit breaker. Present as soon as any `circuit-breaker-*` annotation is set. */
  readonly circuitBreaker: CircuitBreakerConfig | undefined;
  /** Absent: no rate limit. */
  readonly rateLimit: RateLimitConfig | undefined;
}

/** The mesh-wide defaults an operator configures; annotations on a Service override them. */
export interface MeshDefaults {
  readonly trafficType: TrafficType;
  readonly scheme: HttpScheme;
  /** Default retry attempts (0..10). */
  readonly retryAttempts: number;
  /** Per-try timeout when retries are on and neither `retry-timeout` nor `timeout` is set, in ms. */
  readonly retryTimeoutMs: number;
  /** Whole-request timeout when `timeout` is not set, in ms; absent: no limit. */
  readonly timeoutMs: number | undefined;
}

/**
 * HTTP, no retries, no timeout. No timeout by default because a default would silently cut long streams
 * (gRPC over h2c, server-sent events); a Service opts in with `nodemesh.io/timeout`.
 */
export const DEFAULT_MESH_DEFAULTS: MeshDefaults = {
  trafficType: 'http',
  scheme: 'http',
  retryAttempts: 0,
  retryTimeoutMs: 10_000,
  timeoutMs: undefined,
};
