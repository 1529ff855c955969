/** The proxy's own HTTP answers, in one place: status, a stable code and a short text body. */
import { TunnelError } from '../tunnel/tunnel-client.js';
import { REFUSALS } from '../tunnel/tunnel-refusals.js';
import { TunnelUnavailableError } from '../tunnel/tunnel-route.js';

export interface ProxyError {
  readonly status: number;
  readonly code: string;
  readonly message: string;
  /** Extra response headers (Retry-After on 429). */
  readonly headers?: Readonly<Record<string, string>>;
}

export const proxyErrors = {
  badRequest: (message: string): ProxyError => ({
    status: 400,
    code: 'NM_BAD_REQUEST',
    message,
  }),
  /** The caller's request failed on its way through (its body was cut short or malformed). */
  requestFailed: (): ProxyError => ({
    status: 400,
    code: 'NM_REQUEST_FAILED',
    message: 'the request body did not arrive whole',
  }),
  /** The proxy could not send a request it had admitted: its own fault, not the caller's or the upstream's. */
  proxyFailed: (service: string): ProxyError => ({
    status: 500,
    code: 'NM_PROXY_FAILED',
    message: `the proxy could not send the request to ${service}`,
  }),
  unknownHost: (host: string | undefined): ProxyError => ({
    status: 404,
    code: 'NM_UNKNOWN_HOST',
    message: host === undefined ? 'no Host header' : `no mesh Service for Host "${host.slice(0, 256)}"`,
  }),
  noBackend: (service: string): ProxyError => ({
    status: 502,
    code: 'NM_NO_BACKEND',
    message: `TrafficSplit of ${service} gives no backend any weight`,
  }),
  noEndpoint: (service: string): ProxyError => ({
    status: 502,
    code: 'NM_NO_ENDPOINT',
    message: `no ready endpoint for ${service}`,
  }),
  upstreamTimeout: (service: string): ProxyError => ({
    status: 504,
    code: 'NM_UPSTREAM_TIMEOUT',
    message: `${service} did not answer in time`,
  }),
  accessDenied: (service: string, reason: string): ProxyError => ({
    status: 403,
    code: 'NM_ACCESS_DENIED',
    message: `no TrafficTarget allows this call to ${service} (${reason.replaceAll('_', ' ')})`,
  }),
  rateLimited: (service: string, retryAfterMs: number): ProxyError => ({
    status: 429,
    code: 'NM_RATE_LIMITED',
    message: `rate limit of ${service} exceeded`,
    headers: { 'retry-after': String(Math.max(1, Math.ceil(retryAfterMs / 1000))) },
  }),
  circuitOpen: (service: string): ProxyError => ({
    status: 503,
    code: 'NM_CIRCUIT_OPEN',
    message: `circuit breaker of ${service} is open`,
  }),
  requestTimeout: (service: string): ProxyError => ({
    status: 504,
    code: 'NM_REQUEST_TIMEOUT',
    message: `${service} did not answer within the request timeout`,
  }),
  noMatchingRule: (service: string): ProxyError => ({
    status: 404,
    code: 'NM_NO_MATCHING_RULE',
    message: `no rule of the routes attached to ${service} matches this request`,
  }),
  unusableRule: (route: string, reason: string): ProxyError => ({
    status: 500,
    code: 'NM_ROUTE_RULE_UNUSABLE',
    message: `${route} cannot be honoured (${reason})`,
  }),
  /** A RequestRedirect filter: the proxy answers, nothing is forwarded. */
  redirect: (status: number, location: string): ProxyError => ({
    status,
    code: 'NM_REDIRECT',
    message: `redirected to ${location}`,
    headers: { location },
  }),
  /** The entrypoint is closing: a request still arriving on an open connection is refused. */
  draining: (): ProxyError => ({
    status: 503,
    code: 'NM_DRAINING',
    message: 'the proxy is shutting down this listener',
  }),
  /** `strict` mTLS, and the tunnel cannot carry the call (tunnel/tunnel-route.ts names why). */
  mtlsUnavailable: (service: string, reason: string): ProxyError => ({
    status: 503,
    code: 'NM_MTLS_UNAVAILABLE',
    message: `${service} takes only mutual-TLS calls, and this one cannot use the tunnel (${reason.replaceAll('_', ' ')})`,
  }),
  /** The destination's node proxy refused the tunnel stream: its access control denied the caller's identity. */
  deniedAtDestination: (service: string): ProxyError => ({
    status: 403,
    code: 'NM_DENIED_AT_DESTINATION',
    message: `the node proxy of ${service}'s pod refused this call: no TrafficTarget admits the caller's identity`,
  }),
  /** The destination's node proxy refused the tunnel stream for another reason (its REFUSALS entry). */
  tunnelRefused: (service: string, reason: string): ProxyError => ({
    status: 502,
    code: 'NM_TUNNEL_REFUSED',
    message: `the node proxy of ${service}'s pod refused the tunnel: ${reason}`,
  }),
  /** The tunnel to the pod's node proxy could not be opened (TLS, connection, timeout). */
  tunnelFailed: (service: string): ProxyError => ({
    status: 502,
    code: 'NM_TUNNEL_FAILED',
    message: `could not open the mutual-TLS tunnel to the node proxy of ${service}'s pod`,
  }),
  upstreamFailed: (service: string): ProxyError => ({
    status: 502,
    code: 'NM_UPSTREAM_FAILED',
    message: `could not reach ${service}`,
  }),
} as const;

/**
 * The status an undici error maps to: timeouts are 504, everything else 502; a tunnel's typed errors (which
 * undici hands on as the connection's error) to their own answers.
 */
export function upstreamError(err: unknown, service: string): ProxyError {
  if (err instanceof TunnelUnavailableError) return proxyErrors.mtlsUnavailable(service, err.reason);
  if (err instanceof TunnelError) {
    if (err.kind === 'no-certificate') return proxyErrors.mtlsUnavailable(service, 'no_certificate');
    if (err.kind !== 'refused') return proxyErrors.tunnelFailed(service);
    if (err.refusal === 'denied-by-policy') return proxyErrors.deniedAtDestination(service);
    return proxyErrors.tunnelRefused(
      service,
      err.refusal === undefined ? `status ${String(err.status)}` : REFUSALS[err.refusal].reason,
    );
  }
  const code = typeof err === 'object' && err !== null && 'code' in err ? String(err.code) : '';
  return code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_CONNECT_TIMEOUT'
    ? proxyErrors.upstreamTimeout(service)
    : proxyErrors.upstreamFailed(service);
}

/** Reason phrases of the statuses the proxy answers with itself. */
export const REASONS: Readonly<Record<number, string>> = {
  400: 'Bad Request',
  403: 'Forbidden',
  404: 'Not Found',
  408: 'Request Timeout',
  429: 'Too Many Requests',
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

/** A complete raw HTTP/1.1 response that closes the connection, for sockets outside the HTTP server's hands. */
export function rawResponse(
  status: number,
  reason: string,
  body: string,
  headers: Readonly<Record<string, string>> = {},
): string {
  const text = `${body}\n`;
  let extra = '';
  for (const [name, value] of Object.entries(headers)) extra += `${name}: ${value}\r\n`;
  return (
    `HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\n` +
    `${extra}Content-Length: ${Buffer.byteLength(text)}\r\n\r\n${text}`
  );
}

/** The proxy's answer to a request it refused, raw, with its `x-nodemesh-error` code. */
export function rawErrorResponse(error: ProxyError): string {
  return rawResponse(error.status, REASONS[error.status] ?? 'Error', error.message, {
    'x-nodemesh-error': error.code,
    ...error.headers,
  });
}
