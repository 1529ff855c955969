/**
 * Reads the `nodemesh.io/*` annotations of a Service into a ServiceMeshConfig. Every problem is reported
 * with the annotation's path, so the dns-controller can put it in an Event on the Service and keep the last
 * good configuration.
 */
import { ANNOTATION_MTLS } from '../identity/mtls-mode.js';
import { describeValue } from '../validation/describe.js';
import { type FieldError, fail, ok, type Result } from '../validation/result.js';
import {
  ANNOTATION_CIRCUIT_BREAKER_ERROR_PERCENTAGE,
  ANNOTATION_CIRCUIT_BREAKER_MIN_REQUESTS,
  ANNOTATION_CIRCUIT_BREAKER_OPEN_DURATION,
  ANNOTATION_CIRCUIT_BREAKER_WINDOW,
  ANNOTATION_RATELIMIT_AVERAGE,
  ANNOTATION_RATELIMIT_BURST,
  ANNOTATION_RETRY_ATTEMPTS,
  ANNOTATION_RETRY_TIMEOUT,
  ANNOTATION_SCHEME,
  ANNOTATION_TIMEOUT,
  ANNOTATION_TRAFFIC_TYPE,
  KNOWN_SERVICE_ANNOTATIONS,
} from './annotation-keys.js';
import { parseDuration } from './duration.js';
import {
  ANNOTATION_PREFIX,
  type CircuitBreakerConfig,
  type HttpScheme,
  type MeshDefaults,
  type RateLimitConfig,
  type RetryConfig,
  type ServiceMeshConfig,
  type TrafficType,
} from './service-config.js';

/** Defaults of the circuit-breaker settings a Service leaves out. */
export const CIRCUIT_BREAKER_DEFAULTS: CircuitBreakerConfig = {
  errorPercentage: 50,
  minimumRequests: 20,
  windowMs: 10_000,
  openDurationMs: 30_000,
};

const MAX_RETRY_ATTEMPTS = 10;
const MAX_RATE = 1_000_000;
const MAX_MIN_REQUESTS = 1_000_000;
const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

const TRAFFIC_TYPES: readonly TrafficType[] = ['http', 'tcp', 'udp'];
const SCHEMES: readonly HttpScheme[] = ['http', 'h2c'];

/** Annotations that only an http Service can use: all but the traffic type and the mTLS mode. */
const HTTP_ONLY: readonly string[] = KNOWN_SERVICE_ANNOTATIONS.filter(
  (key) => key !== ANNOTATION_TRAFFIC_TYPE && key !== ANNOTATION_MTLS,
);

/** `metadata.annotations["nodemesh.io/timeout"]`: the path of one annotation in errors. */
export function annotationPath(key: string): string {
  return `metadata.annotations[${JSON.stringify(key)}]`;
}

/**
 * The ServiceMeshConfig of a Service from its `metadata.annotations` (any value; absent means none).
 * Unknown `nodemesh.io/` keys are errors, to catch typos; annotations without the prefix are ignored.
 * An annotation that only http traffic uses is an error on a tcp or udp Service. Never throws.
 */
export function parseServiceAnnotations(
  annotations: unknown,
  defaults: MeshDefaults,
): Result<ServiceMeshConfig> {
  const given = annotations ?? {};
  if (typeof given !== 'object' || given === null || Array.isArray(given)) {
    return fail([
      {
        path: 'metadata.annotations',
        message: `must be a map of strings, got ${describeValue(annotations)}`,
      },
    ]);
  }
  const errors: FieldError[] = [];
  const values = new Map<string, string>();
  for (const [key, value] of Object.entries(given)) {
    if (!key.startsWith(ANNOTATION_PREFIX)) continue;
    if (!KNOWN_SERVICE_ANNOTATIONS.includes(key)) {
      errors.push({
        path: annotationPath(key),
        message: `is not a Nodemesh annotation; known: ${KNOWN_SERVICE_ANNOTATIONS.join(', ')}`,
      });
    } else if (typeof value !== 'string') {
      errors.push({ path: annotationPath(key), message: `must be a string, got ${describeValue(value)}` });
    } else {
      values.set(key, value);
    }
  }
  const read = new AnnotationReader(values, errors);

  const trafficType = read.oneOf(ANNOTATION_TRAFFIC_TYPE, TRAFFIC_TYPES) ?? defaults.trafficType;
  if (trafficType !== 'http') {
    for (const key of HTTP_ONLY) {
      if (values.has(key)) {
        errors.push({
          path: annotationPath(key),
          message: `applies only to http traffic, but the traffic-type is ${trafficType}`,
        });
        values.delete(key);
      }
    }
  }

  const scheme = read.oneOf(ANNOTATION_SCHEME, SCHEMES) ?? defaults.scheme;
  if (trafficType !== 'http') {
    // The HTTP policies do not apply, and the mesh defaults for them must not leak into tcp/udp config.
    if (errors.length > 0) return fail(errors);
    return ok({
      trafficType,
      scheme,
      retry: undefined,
      timeoutMs: undefined,
      circuitBreaker: undefined,
      rateLimit: undefined,
    });
  }
  const timeoutMs = read.duration(ANNOTATION_TIMEOUT, 1, DAY_MS, '1ms to 24h') ?? defaults.timeoutMs;
  const retry = readRetry(read, values, errors, defaults, timeoutMs);
  const circuitBreaker = readCircuitBreaker(read, values);
  const rateLimit = readRateLimit(read, values, errors);

  if (errors.length > 0) return fail(errors);
  return ok({ trafficType, scheme, retry, timeoutMs, circuitBreaker, rateLimit });
}

function readRetry(
  read: AnnotationReader,
  values: ReadonlyMap<string, string>,
  errors: FieldError[],
  defaults: MeshDefaults,
  timeoutMs: number | undefined,
): RetryConfig | undefined {
  const attempts =
    read.integer(ANNOTATION_RETRY_ATTEMPTS, 0, MAX_RETRY_ATTEMPTS) ??
    (values.has(ANNOTATION_RETRY_ATTEMPTS) ? undefined : defaults.retryAttempts);
  const perTry = read.duration(ANNOTATION_RETRY_TIMEOUT, 1, DAY_MS, '1ms to 24h');
  if (attempts === 0 && values.has(ANNOTATION_RETRY_TIMEOUT)) {
    errors.push({
      path: annotationPath(ANNOTATION_RETRY_TIMEOUT),
      message: `has no effect without ${ANNOTATION_RETRY_ATTEMPTS} above 0`,
    });
  }
  if (attempts === undefined || attempts === 0) return undefined;
  return { attempts, perTryTimeoutMs: perTry ?? timeoutMs ?? defaults.retryTimeoutMs };
}

function readCircuitBreaker(
  read: AnnotationReader,
  values: ReadonlyMap<string, string>,
): CircuitBreakerConfig | undefined {
  const keys = [
    ANNOTATION_CIRCUIT_BREAKER_ERROR_PERCENTAGE,
    ANNOTATION_CIRCUIT_BREAKER_MIN_REQUESTS,
    ANNOTATION_CIRCUIT_BREAKER_WINDOW,
    ANNOTATION_CIRCUIT_BREAKER_OPEN_DURATION,
  ];
  if (!keys.some((key) => values.has(key))) return undefined;
  const d = CIRCUIT_BREAKER_DEFAULTS;
  const windowMs = read.duration(ANNOTATION_CIRCUIT_BREAKER_WINDOW, 1000, HOUR_MS, '1s to 1h', true);
  return {
    errorPercentage: read.integer(ANNOTATION_CIRCUIT_BREAKER_ERROR_PERCENTAGE, 1, 100) ?? d.errorPercentage,
    minimumRequests:
      read.integer(ANNOTATION_CIRCUIT_BREAKER_MIN_REQUESTS, 1, MAX_MIN_REQUESTS) ?? d.minimumRequests,
    windowMs: windowMs ?? d.windowMs,
    openDurationMs:
      read.duration(ANNOTATION_CIRCUIT_BREAKER_OPEN_DURATION, 1, HOUR_MS, '1ms to 1h') ?? d.openDurationMs,
  };
}

function readRateLimit(
  read: AnnotationReader,
  values: ReadonlyMap<string, string>,
  errors: FieldError[],
): RateLimitConfig | undefined {
  const average = read.integer(ANNOTATION_RATELIMIT_AVERAGE, 1, MAX_RATE);
  const burst = read.integer(ANNOTATION_RATELIMIT_BURST, 1, MAX_RATE);
  const hasAverage = values.has(ANNOTATION_RATELIMIT_AVERAGE);
  const hasBurst = values.has(ANNOTATION_RATELIMIT_BURST);
  if (hasAverage !== hasBurst) {
    const [missing, present] = hasAverage
      ? [ANNOTATION_RATELIMIT_BURST, ANNOTATION_RATELIMIT_AVERAGE]
      : [ANNOTATION_RATELIMIT_AVERAGE, ANNOTATION_RATELIMIT_BURST];
    errors.push({ path: annotationPath(present), message: `must be set together with ${missing}` });
  }
  if (average === undefined || burst === undefined) return undefined;
  return { average, burst };
}

/** Reads one annotation each; a missing one gives undefined, a bad one records an error and gives undefined. */
class AnnotationReader {
  constructor(
    private readonly values: ReadonlyMap<string, string>,
    private readonly errors: FieldError[],
  ) {}

  oneOf<T extends string>(key: string, allowed: readonly T[]): T | undefined {
    const text = this.values.get(key);
    if (text === undefined) return undefined;
    const found = allowed.find((candidate) => candidate === text);
    if (found === undefined)
      this.error(key, `must be one of ${allowed.join(', ')}, got ${describeValue(text)}`);
    return found;
  }

  integer(key: string, min: number, max: number): number | undefined {
    const text = this.values.get(key);
    if (text === undefined) return undefined;
    const value = /^\d{1,10}$/.test(text) ? Number(text) : Number.NaN;
    if (!(value >= min && value <= max)) {
      this.error(key, `must be an integer from ${min} to ${max}, got ${describeValue(text)}`);
      return undefined;
    }
    return value;
  }

  /** A duration from min to max ms (`range` says so in words); the breaker's window is whole seconds. */
  duration(key: string, min: number, max: number, range: string, wholeSeconds = false): number | undefined {
    const text = this.values.get(key);
    if (text === undefined) return undefined;
    const value = parseDuration(text);
    const whole = wholeSeconds ? ' in whole seconds' : '';
    if (value === undefined || value < min || value > max || (wholeSeconds && value % 1000 !== 0)) {
      const form = value === undefined ? ' such as 500ms, 2s or 1m30s' : '';
      this.error(key, `must be a duration from ${range}${whole}${form}, got ${describeValue(text)}`);
      return undefined;
    }
    return value;
  }

  private error(key: string, message: string): void {
    this.errors.push({ path: annotationPath(key), message });
  }
}
