/**
 * Why the destination's tunnel server refuses a stream, as one typed value, and the single table that maps it
 * to an HTTP/2 status and a reason. The reason kind travels back in a response header, so the caller's proxy
 * gets the same typed value; the detail is only logged at the destination. Pure.
 */
import type { WorkloadIdentity } from '@nodemesh/smi-types';

/** What the caller of the tunnel server decides for one stream (a pure function it supplies). */
export interface AuthoriseRequest {
  /** The caller's identity, read from its verified certificate. */
  readonly source: WorkloadIdentity;
  readonly podIP: string;
  readonly port: number;
}

export type Decision =
  | { readonly kind: 'allowed' }
  /** Not a meshed endpoint of a running pod of this node: the caller's proxy picked the wrong node, or probes. */
  | { readonly kind: 'not-on-this-node'; readonly detail?: string }
  /** A pod of this node, but no TrafficTarget admits this source to it (detail: which rule, for the log). */
  | { readonly kind: 'denied-by-policy'; readonly detail?: string }
  /** The source identity is not one this node accepts callers as (for example a namespace it does not know). */
  | { readonly kind: 'no-identity'; readonly detail?: string };

export type Authorise = (request: AuthoriseRequest) => Decision;

/** Every way a stream can be refused: the decisions above, and what the server finds itself. */
export type RefusalKind =
  | Exclude<Decision['kind'], 'allowed'>
  | 'not-connect'
  | 'bad-authority'
  | 'upstream-unreachable'
  | 'upstream-timeout'
  | 'shutting-down';

export const REFUSALS: Readonly<Record<RefusalKind, { readonly status: number; readonly reason: string }>> = {
  'not-connect': { status: 405, reason: 'only CONNECT is served on the tunnel port' },
  'bad-authority': { status: 400, reason: 'the CONNECT authority is not podIP:port' },
  'no-identity': { status: 401, reason: 'the client certificate names no workload identity of this mesh' },
  'denied-by-policy': { status: 403, reason: 'no TrafficTarget admits this source to this destination' },
  'not-on-this-node': { status: 421, reason: 'the target is not a meshed endpoint of a pod of this node' },
  'upstream-unreachable': { status: 503, reason: 'the pod refused or reset the connection' },
  'upstream-timeout': { status: 504, reason: 'the pod did not accept the connection in time' },
  'shutting-down': { status: 503, reason: 'the tunnel server is shutting down' },
};

/** The response header that names the refusal kind. */
export const REFUSAL_HEADER = 'nodemesh-tunnel-refusal';

export function isRefusalKind(value: unknown): value is RefusalKind {
  return typeof value === 'string' && Object.hasOwn(REFUSALS, value);
}

/** Why a TLS connection to the tunnel port was closed before it could carry a stream. */
export type ConnectionRefusalKind =
  | 'tls-error'
  | 'no-certificate'
  | 'untrusted-certificate'
  | 'not-h2'
  | 'too-many-connections';
