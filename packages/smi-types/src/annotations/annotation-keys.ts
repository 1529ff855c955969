import { ANNOTATION_MTLS } from '../identity/mtls-mode.js';
import { ANNOTATION_PREFIX } from './service-config.js';

/** Every `nodemesh.io/*` Service annotation the mesh knows. Any other key with the prefix is an error. */
export const ANNOTATION_TRAFFIC_TYPE = `${ANNOTATION_PREFIX}traffic-type`;
export const ANNOTATION_SCHEME = `${ANNOTATION_PREFIX}scheme`;
export const ANNOTATION_RETRY_ATTEMPTS = `${ANNOTATION_PREFIX}retry-attempts`;
export const ANNOTATION_RETRY_TIMEOUT = `${ANNOTATION_PREFIX}retry-timeout`;
export const ANNOTATION_TIMEOUT = `${ANNOTATION_PREFIX}timeout`;
export const ANNOTATION_CIRCUIT_BREAKER_ERROR_PERCENTAGE = `${ANNOTATION_PREFIX}circuit-breaker-error-percentage`;
export const ANNOTATION_CIRCUIT_BREAKER_MIN_REQUESTS = `${ANNOTATION_PREFIX}circuit-breaker-min-requests`;
export const ANNOTATION_CIRCUIT_BREAKER_WINDOW = `${ANNOTATION_PREFIX}circuit-breaker-window`;
export const ANNOTATION_CIRCUIT_BREAKER_OPEN_DURATION = `${ANNOTATION_PREFIX}circuit-breaker-open-duration`;
export const ANNOTATION_RATELIMIT_AVERAGE = `${ANNOTATION_PREFIX}ratelimit-average`;
export const ANNOTATION_RATELIMIT_BURST = `${ANNOTATION_PREFIX}ratelimit-burst`;

export const KNOWN_SERVICE_ANNOTATIONS: readonly string[] = [
  ANNOTATION_TRAFFIC_TYPE,
  ANNOTATION_SCHEME,
  ANNOTATION_RETRY_ATTEMPTS,
  ANNOTATION_RETRY_TIMEOUT,
  ANNOTATION_TIMEOUT,
  ANNOTATION_CIRCUIT_BREAKER_ERROR_PERCENTAGE,
  ANNOTATION_CIRCUIT_BREAKER_MIN_REQUESTS,
  ANNOTATION_CIRCUIT_BREAKER_WINDOW,
  ANNOTATION_CIRCUIT_BREAKER_OPEN_DURATION,
  ANNOTATION_RATELIMIT_AVERAGE,
  ANNOTATION_RATELIMIT_BURST,
  // The mTLS mode (identity/mtls-mode.ts): read by the dns-controller with the Namespace's, not here.
  ANNOTATION_MTLS,
];
