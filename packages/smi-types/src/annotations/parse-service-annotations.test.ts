import { describe, expect, it } from 'vitest';
import { parseServiceAnnotations } from './parse-service-annotations.js';
import { DEFAULT_MESH_DEFAULTS, type MeshDefaults, type ServiceMeshConfig } from './service-config.js';

const plain: ServiceMeshConfig = {
  trafficType: 'http',
  scheme: 'http',
  retry: undefined,
  timeoutMs: undefined,
  circuitBreaker: undefined,
  rateLimit: undefined,
};

const at = (key: string) => `metadata.annotations["nodemesh.io/${key}"]`;

describe('parseServiceAnnotations', () => {
  it.each([
    ['no annotations at all', undefined, plain],
    ['null annotations', null, plain],
    ['only foreign annotations', { 'example.com/x': 'y', 'nodemesh.io.evil/x': 'y' }, plain],
    // The mTLS mode is known, and read (and its value checked) by the dns-controller: never an error here.
    ['the mTLS mode', { 'nodemesh.io/mtls': 'strict' }, plain],
    ['an mTLS mode that is not one', { 'nodemesh.io/mtls': 'very' }, plain],
    [
      'the mTLS mode on a tcp Service',
      { 'nodemesh.io/traffic-type': 'tcp', 'nodemesh.io/mtls': 'strict' },
      { ...plain, trafficType: 'tcp' },
    ],
    ['tcp', { 'nodemesh.io/traffic-type': 'tcp' }, { ...plain, trafficType: 'tcp' }],
    ['udp', { 'nodemesh.io/traffic-type': 'udp' }, { ...plain, trafficType: 'udp' }],
    ['h2c', { 'nodemesh.io/scheme': 'h2c' }, { ...plain, scheme: 'h2c' }],
    ['a timeout', { 'nodemesh.io/timeout': '1m30s' }, { ...plain, timeoutMs: 90_000 }],
    [
      'retries with a per-try timeout',
      { 'nodemesh.io/retry-attempts': '3', 'nodemesh.io/retry-timeout': '500ms' },
      { ...plain, retry: { attempts: 3, perTryTimeoutMs: 500 } },
    ],
    [
      'retries inheriting the whole timeout as per-try timeout',
      { 'nodemesh.io/retry-attempts': '2', 'nodemesh.io/timeout': '5s' },
      { ...plain, timeoutMs: 5000, retry: { attempts: 2, perTryTimeoutMs: 5000 } },
    ],
    [
      'retries with the default per-try timeout',
      { 'nodemesh.io/retry-attempts': '10' },
      { ...plain, retry: { attempts: 10, perTryTimeoutMs: 10_000 } },
    ],
    ['zero retry attempts', { 'nodemesh.io/retry-attempts': '0' }, plain],
    [
      'a circuit breaker with every setting',
      {
        'nodemesh.io/circuit-breaker-error-percentage': '25',
        'nodemesh.io/circuit-breaker-min-requests': '5',
        'nodemesh.io/circuit-breaker-window': '1m',
        'nodemesh.io/circuit-breaker-open-duration': '15s',
      },
      {
        ...plain,
        circuitBreaker: { errorPercentage: 25, minimumRequests: 5, windowMs: 60_000, openDurationMs: 15_000 },
      },
    ],
    [
      'a circuit breaker with defaults for what is left out',
      { 'nodemesh.io/circuit-breaker-error-percentage': '100' },
      {
        ...plain,
        circuitBreaker: {
          errorPercentage: 100,
          minimumRequests: 20,
          windowMs: 10_000,
          openDurationMs: 30_000,
        },
      },
    ],
    [
      'a rate limit',
      { 'nodemesh.io/ratelimit-average': '100', 'nodemesh.io/ratelimit-burst': '200' },
      { ...plain, rateLimit: { average: 100, burst: 200 } },
    ],
  ])('reads %s', (_, annotations, expected) => {
    expect(parseServiceAnnotations(annotations, DEFAULT_MESH_DEFAULTS)).toEqual({
      ok: true,
      value: expected,
    });
  });

  it('takes what the annotations leave out from the mesh defaults', () => {
    const defaults: MeshDefaults = {
      trafficType: 'tcp',
      scheme: 'h2c',
      retryAttempts: 2,
      retryTimeoutMs: 1000,
      timeoutMs: 20_000,
    };
    expect(parseServiceAnnotations({}, defaults)).toEqual({
      ok: true,
      value: { ...plain, trafficType: 'tcp', scheme: 'h2c' },
    });
    expect(parseServiceAnnotations({ 'nodemesh.io/traffic-type': 'http' }, defaults)).toEqual({
      ok: true,
      value: { ...plain, scheme: 'h2c', timeoutMs: 20_000, retry: { attempts: 2, perTryTimeoutMs: 20_000 } },
    });
    const http = parseServiceAnnotations(
      { 'nodemesh.io/traffic-type': 'http' },
      { ...defaults, timeoutMs: undefined },
    );
    expect(http).toEqual({
      ok: true,
      value: { ...plain, scheme: 'h2c', retry: { attempts: 2, perTryTimeoutMs: 1000 } },
    });
  });

  it.each([
    ['a list', ['x'], 'metadata.annotations', 'must be a map of strings, got a list'],
    ['a string', 'x', 'metadata.annotations', 'must be a map of strings, got "x"'],
    [
      'an unknown key',
      { 'nodemesh.io/retries': '3' },
      at('retries'),
      'is not a Nodemesh annotation; known: nodemesh.io/traffic-type, nodemesh.io/scheme, nodemesh.io/retry-attempts, nodemesh.io/retry-timeout, nodemesh.io/timeout, nodemesh.io/circuit-breaker-error-percentage, nodemesh.io/circuit-breaker-min-requests, nodemesh.io/circuit-breaker-window, nodemesh.io/circuit-breaker-open-duration, nodemesh.io/ratelimit-average, nodemesh.io/ratelimit-burst, nodemesh.io/mtls',
    ],
    [
      'a value that is not a string',
      { 'nodemesh.io/retry-attempts': 3 },
      at('retry-attempts'),
      'must be a string, got 3',
    ],
    [
      'an unknown traffic type',
      { 'nodemesh.io/traffic-type': 'HTTP' },
      at('traffic-type'),
      'must be one of http, tcp, udp, got "HTTP"',
    ],
    [
      'an unknown scheme',
      { 'nodemesh.io/scheme': 'https' },
      at('scheme'),
      'must be one of http, h2c, got "https"',
    ],
    [
      'retry attempts that are not a number',
      { 'nodemesh.io/retry-attempts': 'many' },
      at('retry-attempts'),
      'must be an integer from 0 to 10, got "many"',
    ],
    [
      'too many retry attempts',
      { 'nodemesh.io/retry-attempts': '11' },
      at('retry-attempts'),
      'must be an integer from 0 to 10, got "11"',
    ],
    [
      'negative retry attempts',
      { 'nodemesh.io/retry-attempts': '-1' },
      at('retry-attempts'),
      'must be an integer from 0 to 10, got "-1"',
    ],
    [
      'fractional retry attempts',
      { 'nodemesh.io/retry-attempts': '1.5' },
      at('retry-attempts'),
      'must be an integer from 0 to 10, got "1.5"',
    ],
    [
      'a retry timeout without retries',
      { 'nodemesh.io/retry-timeout': '1s' },
      at('retry-timeout'),
      'has no effect without nodemesh.io/retry-attempts above 0',
    ],
    [
      'a timeout without a unit',
      { 'nodemesh.io/timeout': '30' },
      at('timeout'),
      'must be a duration from 1ms to 24h such as 500ms, 2s or 1m30s, got "30"',
    ],
    [
      'a zero timeout',
      { 'nodemesh.io/timeout': '0s' },
      at('timeout'),
      'must be a duration from 1ms to 24h, got "0s"',
    ],
    [
      'a timeout over a day',
      { 'nodemesh.io/timeout': '25h' },
      at('timeout'),
      'must be a duration from 1ms to 24h, got "25h"',
    ],
    [
      'a bad retry timeout',
      { 'nodemesh.io/retry-attempts': '1', 'nodemesh.io/retry-timeout': 'soon' },
      at('retry-timeout'),
      'must be a duration from 1ms to 24h such as 500ms, 2s or 1m30s, got "soon"',
    ],
    [
      'an error percentage of 0',
      { 'nodemesh.io/circuit-breaker-error-percentage': '0' },
      at('circuit-breaker-error-percentage'),
      'must be an integer from 1 to 100, got "0"',
    ],
    [
      'zero minimum requests',
      { 'nodemesh.io/circuit-breaker-min-requests': '0' },
      at('circuit-breaker-min-requests'),
      'must be an integer from 1 to 1000000, got "0"',
    ],
    [
      'a window that is not whole seconds',
      { 'nodemesh.io/circuit-breaker-window': '1500ms' },
      at('circuit-breaker-window'),
      'must be a duration from 1s to 1h in whole seconds, got "1500ms"',
    ],
    [
      'an open duration over an hour',
      { 'nodemesh.io/circuit-breaker-open-duration': '2h' },
      at('circuit-breaker-open-duration'),
      'must be a duration from 1ms to 1h, got "2h"',
    ],
    [
      'a rate-limit average without a burst',
      { 'nodemesh.io/ratelimit-average': '10' },
      at('ratelimit-average'),
      'must be set together with nodemesh.io/ratelimit-burst',
    ],
    [
      'a rate-limit burst without an average',
      { 'nodemesh.io/ratelimit-burst': '10' },
      at('ratelimit-burst'),
      'must be set together with nodemesh.io/ratelimit-average',
    ],
    [
      'a rate-limit average of zero',
      { 'nodemesh.io/ratelimit-average': '0', 'nodemesh.io/ratelimit-burst': '10' },
      at('ratelimit-average'),
      'must be an integer from 1 to 1000000, got "0"',
    ],
    [
      'an http-only setting on a tcp Service',
      { 'nodemesh.io/traffic-type': 'tcp', 'nodemesh.io/timeout': '5s' },
      at('timeout'),
      'applies only to http traffic, but the traffic-type is tcp',
    ],
  ])('rejects %s with one error', (_, annotations, path, message) => {
    expect(parseServiceAnnotations(annotations, DEFAULT_MESH_DEFAULTS)).toEqual({
      ok: false,
      errors: [{ path, message }],
    });
  });

  it('reports every bad annotation at once', () => {
    const result = parseServiceAnnotations(
      { 'nodemesh.io/scheme': 'x', 'nodemesh.io/timeout': 'y', 'nodemesh.io/tiemout': '1s' },
      DEFAULT_MESH_DEFAULTS,
    );
    expect(result.ok).toBe(false);
    if (!result.ok)
      expect(result.errors.map((e) => e.path)).toEqual([at('tiemout'), at('scheme'), at('timeout')]);
  });

  it('never throws on odd input', () => {
    for (const input of [0, true, Symbol('x'), () => 1, new Map(), Object.create(null)]) {
      expect(() => parseServiceAnnotations(input, DEFAULT_MESH_DEFAULTS)).not.toThrow();
    }
  });
});
