/**
 * How a call reaches the pod the balancer picked (docs/mtls.md, "The caller's side: the tunnel"), as pure
 * functions: where the endpoint is for this proxy (`placeEndpoint`: this node, another node whose node proxy
 * is known, or nowhere known), and what the backend's mTLS mode makes of that for one caller (`decideCall`).
 * The answers are shared constants: deciding allocates nothing.
 */
import type { MtlsMode } from '@nodemesh/smi-types';
import type { Endpoint } from '../snapshot/snapshot.js';
import type { DestinationNode } from './tunnel-client.js';

/** Why the tunnel cannot carry a call (metric label values, hence snake case). */
export type TunnelUnavailable =
  /** The caller's source IP is no pod of this node: there is no ServiceAccount to present. */
  | 'unknown_caller'
  /** The caller's ServiceAccount has no certificate on this node (not issued yet, or expired). */
  | 'no_certificate'
  /** The pod's node has no known node proxy (or the EndpointSlice names no node). */
  | 'no_node_proxy'
  /** This node proxy has no tunnel client: workload identity is off. */
  | 'no_tunnel'
  /** The tunnel to that node failed a moment ago (connect, handshake or timeout). */
  | 'tunnel_failed';

/** Where an endpoint's pod is, for this proxy. */
export type EndpointPlace =
  | { readonly kind: 'local' }
  | { readonly kind: 'remote'; readonly node: DestinationNode; readonly nodeName: string }
  | { readonly kind: 'unplaced' };

const LOCAL: EndpointPlace = { kind: 'local' };
const UNPLACED: EndpointPlace = { kind: 'unplaced' };

/** This proxy's node, and the tunnel port every node proxy listens on. */
export interface TunnelSelf {
  readonly nodeName: string | undefined;
  readonly tunnelPort: number;
}

/**
 * Where `endpoint` is: on this node (same `nodeName`), on another node whose node proxy `addressOf` knows
 * (reached at that address and `tunnelPort`), or unplaced (no node named, or no node proxy known for it).
 */
export function placeEndpoint(
  endpoint: Endpoint,
  self: TunnelSelf,
  addressOf: (nodeName: string) => string | undefined,
): EndpointPlace {
  const { nodeName } = endpoint;
  if (nodeName === undefined) return UNPLACED;
  if (nodeName === self.nodeName) return LOCAL;
  const address = addressOf(nodeName);
  if (address === undefined || self.tunnelPort === 0) return UNPLACED;
  return { kind: 'remote', node: { address, port: self.tunnelPort }, nodeName };
}

/** What to do with one call. */
export type CallDecision =
  /** Same node: straight to the pod, not on the wire between nodes. */
  | { readonly kind: 'local' }
  /** Mode `off`: straight to the pod, in plaintext. */
  | { readonly kind: 'plaintext' }
  /** Through the tunnel to the pod's node proxy, as the caller. */
  | { readonly kind: 'mtls' }
  /** `permissive`, and the tunnel cannot be used: plaintext, counted with the reason. */
  | { readonly kind: 'fallback'; readonly reason: TunnelUnavailable }
  /** `strict`, and the tunnel cannot be used: the call fails. */
  | { readonly kind: 'unavailable'; readonly reason: TunnelUnavailable };

const REASONS: readonly TunnelUnavailable[] = [
  'unknown_caller',
  'no_certificate',
  'no_node_proxy',
  'no_tunnel',
  'tunnel_failed',
];
const FALLBACK = new Map(REASONS.map((reason) => [reason, { kind: 'fallback', reason } as const]));
const UNAVAILABLE = new Map(REASONS.map((reason) => [reason, { kind: 'unavailable', reason } as const]));

export const DECISIONS = {
  local: { kind: 'local' } as CallDecision,
  plaintext: { kind: 'plaintext' } as CallDecision,
  mtls: { kind: 'mtls' } as CallDecision,
  fallback: (reason: TunnelUnavailable): CallDecision => FALLBACK.get(reason) ?? { kind: 'fallback', reason },
  unavailable: (reason: TunnelUnavailable): CallDecision =>
    UNAVAILABLE.get(reason) ?? { kind: 'unavailable', reason },
} as const;

/** What the shell knows about the caller and the tunnel at the moment of the call. */
export interface TunnelState {
  /** A tunnel client exists (workload identity is on). */
  readonly tunnelOn: boolean;
  /** Whether the caller (undefined: unknown) holds a certificate on this node. */
  hasCertificate(caller: { readonly namespace: string; readonly serviceAccount: string }): boolean;
  /** Whether the tunnel to this node failed a moment ago. */
  failing(nodeName: string): boolean;
}

/**
 * The decision for one call to an endpoint placed at `place`, from a caller, to a backend in `mode`. A pod
 * on this node is always `local` (the caller-side authorisation already ran; nothing crosses the wire); `off`
 * is plaintext; otherwise the tunnel, or, when it cannot be used, a fallback (`permissive`) or a failure
 * (`strict`). A recently failed tunnel makes `permissive` fall back at once; `strict` tries it again.
 */
export function decideCall(
  mode: MtlsMode,
  place: EndpointPlace,
  caller: { readonly namespace: string; readonly serviceAccount: string } | undefined,
  state: TunnelState,
): CallDecision {
  if (place.kind === 'local') return DECISIONS.local;
  if (mode === 'off') return DECISIONS.plaintext;
  const cannot = mode === 'strict' ? DECISIONS.unavailable : DECISIONS.fallback;
  if (!state.tunnelOn) return cannot('no_tunnel');
  if (place.kind === 'unplaced') return cannot('no_node_proxy');
  if (caller === undefined) return cannot('unknown_caller');
  if (!state.hasCertificate(caller)) return cannot('no_certificate');
  if (mode === 'permissive' && state.failing(place.nodeName)) return cannot('tunnel_failed');
  return DECISIONS.mtls;
}

/** The tunnel cannot carry a call, for a reason known before or while connecting. */
export class TunnelUnavailableError extends Error {
  readonly reason: TunnelUnavailable;

  constructor(reason: TunnelUnavailable, message: string) {
    super(message);
    this.name = 'TunnelUnavailableError';
    this.reason = reason;
  }
}
