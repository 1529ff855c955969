/**
 * The caller side of the tunnel, as the listeners use it: where each endpoint is (computed once per endpoint
 * object, again only after the node-proxy directory changed), what a call does (tunnel-route.ts), and the
 * tunnel streams themselves (`open`, through the TunnelClient, as the caller's ServiceAccount).
 *
 * A tunnel to a node that failed to connect is remembered for `failureHoldMs`: meanwhile `permissive` calls
 * to that node go in plaintext at once instead of waiting for the same failure (counted `tunnel_failed`).
 */
import type { Duplex } from 'node:stream';
import type { MtlsMode } from '@nodemesh/smi-types';
import type { Caller } from '../metrics/caller-resolver.js';
import type { Endpoint } from '../snapshot/snapshot.js';
import type { NodeProxyDirectory } from './node-proxy-directory.js';
import type { TunnelClient } from './tunnel-client.js';
import { TunnelError } from './tunnel-client.js';
import {
  type CallDecision,
  decideCall,
  type EndpointPlace,
  placeEndpoint,
  type TunnelSelf,
  type TunnelState,
  TunnelUnavailableError,
} from './tunnel-route.js';

export interface TunnelRouterOptions extends TunnelSelf {
  readonly directory: NodeProxyDirectory;
  /** Undefined when workload identity is off: no call can use the tunnel. */
  readonly client: TunnelClient | undefined;
  /** Whether the caller's ServiceAccount holds a certificate on this node now. */
  readonly hasCertificate: (namespace: string, serviceAccount: string) => boolean;
  /** How long a failed tunnel to a node makes `permissive` calls fall back at once (default 5 s). */
  readonly failureHoldMs?: number;
  readonly now?: () => number;
}

export class TunnelRouter implements TunnelState {
  readonly #o: TunnelRouterOptions;
  readonly #now: () => number;
  #places = new WeakMap<Endpoint, EndpointPlace>();
  #placesVersion = -1;
  /** Node name → until when its tunnel counts as failing. */
  readonly #failing = new Map<string, number>();
  /** Per caller object, the nodes a tunnel session was seen up to (found without building a key). */
  #up = new WeakMap<Caller, Set<string>>();

  constructor(options: TunnelRouterOptions) {
    this.#o = options;
    this.#now = options.now ?? Date.now;
  }

  get tunnelOn(): boolean {
    return this.#o.client !== undefined;
  }

  /** Where an endpoint is; the same object until the directory changes. */
  place(endpoint: Endpoint): EndpointPlace {
    const { directory } = this.#o;
    if (directory.version !== this.#placesVersion) {
      this.#places = new WeakMap();
      this.#placesVersion = directory.version;
    }
    let place = this.#places.get(endpoint);
    if (place === undefined) {
      place = placeEndpoint(endpoint, this.#o, (node) => directory.addressOf(node));
      this.#places.set(endpoint, place);
    }
    return place;
  }

  /** What one call from `caller` to `endpoint` of a backend in `mode` does. */
  decide(mode: MtlsMode, endpoint: Endpoint, caller: Caller | undefined): CallDecision {
    return decideCall(mode, this.place(endpoint), caller, this);
  }

  hasCertificate(caller: { readonly namespace: string; readonly serviceAccount: string }): boolean {
    return this.#o.hasCertificate(caller.namespace, caller.serviceAccount);
  }

  failing(nodeName: string): boolean {
    if (this.#failing.size === 0) return false;
    const until = this.#failing.get(nodeName);
    if (until === undefined) return false;
    if (until > this.#now()) return true;
    this.#failing.delete(nodeName);
    return false;
  }

  /**
   * A tunnel stream to `endpoint` as `caller`, placed anew (the node proxy may have moved since the call was
   * decided). Rejects with a TunnelUnavailableError when it cannot be tried, or the TunnelClient's TunnelError.
   */
  async open(caller: Caller, endpoint: Endpoint): Promise<Duplex> {
    const { client } = this.#o;
    if (client === undefined) throw new TunnelUnavailableError('no_tunnel', 'workload identity is off');
    const place = this.place(endpoint);
    if (place.kind !== 'remote') {
      throw new TunnelUnavailableError('no_node_proxy', `no node proxy known for the pod ${endpoint.key}`);
    }
    try {
      const stream = await client.open(caller, place.node, { podIP: endpoint.address, port: endpoint.port });
      this.#sessionUp(caller, place.nodeName);
      return stream;
    } catch (error) {
      this.#sessionFailed(caller, place.nodeName, error);
      throw error;
    }
  }

  /**
   * Whether the tunnel to `endpoint`'s node is known up for `caller` (a session was admitted and has not
   * failed since): a permissive call may then commit to it without a fallback in reserve.
   */
  isUp(caller: Caller, endpoint: Endpoint): boolean {
    const place = this.place(endpoint);
    return place.kind === 'remote' && this.#up.get(caller)?.has(place.nodeName) === true;
  }

  /** Brings the tunnel to `endpoint`'s node up for `caller`: true once it is, false when it cannot be. */
  async warm(caller: Caller, endpoint: Endpoint): Promise<boolean> {
    const { client } = this.#o;
    const place = this.place(endpoint);
    if (client === undefined || place.kind !== 'remote') return false;
    try {
      await client.ready(caller, place.node);
      this.#sessionUp(caller, place.nodeName);
      return true;
    } catch (error) {
      this.#sessionFailed(caller, place.nodeName, error);
      return false;
    }
  }

  #sessionUp(caller: Caller, nodeName: string): void {
    this.#failing.delete(nodeName);
    let nodes = this.#up.get(caller);
    if (nodes === undefined) {
      nodes = new Set();
      this.#up.set(caller, nodes);
    }
    nodes.add(nodeName);
  }

  #sessionFailed(caller: Caller, nodeName: string, error: unknown): void {
    if (!fallsBack(error)) return;
    this.#up.get(caller)?.delete(nodeName);
    if (error instanceof TunnelError && tunnelBroken(error))
      this.#failing.set(nodeName, this.#now() + (this.#o.failureHoldMs ?? 5_000));
  }
}

/**
 * A permissive call may go in plaintext after this error: the tunnel itself failed, or the caller's certificate
 * went, before anything was sent. Never after a refusal by the destination: that is its answer.
 */
export function fallsBack(error: unknown): boolean {
  return error instanceof TunnelError && (tunnelBroken(error) || error.kind === 'no-certificate');
}

/** The tunnel itself failed (not an answer from the destination, not a missing certificate). */
export function tunnelBroken(error: TunnelError): boolean {
  return error.kind === 'connect-failed' || error.kind === 'timeout' || error.kind === 'session-closed';
}
