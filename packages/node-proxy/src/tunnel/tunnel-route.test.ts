import type { MtlsMode } from '@nodemesh/smi-types';
import { describe, expect, it } from 'vitest';
import { endpointKey } from '../snapshot/snapshot.js';
import { decideCall, type EndpointPlace, placeEndpoint, type TunnelState } from './tunnel-route.js';

const endpoint = (nodeName?: string) => ({
  address: '10.0.2.7',
  port: 8080,
  key: endpointKey('10.0.2.7', 8080),
  ...(nodeName === undefined ? {} : { nodeName }),
});
const proxies = new Map([['node-b', '192.168.0.12']]);
const addressOf = (node: string) => proxies.get(node);
const self = { nodeName: 'node-a', tunnelPort: 15008 };

describe('placeEndpoint', () => {
  it('places a pod on this node as local and one on another node at that node proxy and the tunnel port', () => {
    expect(placeEndpoint(endpoint('node-a'), self, addressOf)).toEqual({ kind: 'local' });
    expect(placeEndpoint(endpoint('node-b'), self, addressOf)).toEqual({
      kind: 'remote',
      nodeName: 'node-b',
      node: { address: '192.168.0.12', port: 15008 },
    });
  });

  it('leaves unplaced a pod whose slice names no node, whose node has no known proxy, or with no tunnel port', () => {
    expect(placeEndpoint(endpoint(), self, addressOf).kind).toBe('unplaced');
    expect(placeEndpoint(endpoint('node-z'), self, addressOf).kind).toBe('unplaced');
    expect(placeEndpoint(endpoint('node-b'), { ...self, tunnelPort: 0 }, addressOf).kind).toBe('unplaced');
    // A proxy that does not know its own node places nothing as local.
    expect(
      placeEndpoint(endpoint('node-a'), { nodeName: undefined, tunnelPort: 15008 }, addressOf).kind,
    ).toBe('unplaced');
  });
});

describe('decideCall', () => {
  const remote: EndpointPlace = { kind: 'remote', nodeName: 'node-b', node: { address: '192.168.0.12' } };
  const local: EndpointPlace = { kind: 'local' };
  const unplaced: EndpointPlace = { kind: 'unplaced' };
  const web = { namespace: 'shop', serviceAccount: 'web' };
  const state = (
    over: Partial<{ tunnelOn: boolean; certificate: boolean; failing: boolean }> = {},
  ): TunnelState => ({
    tunnelOn: over.tunnelOn ?? true,
    hasCertificate: () => over.certificate ?? true,
    failing: () => over.failing ?? false,
  });
  /** `caller` null: no pod known at the source address. */
  const decide = (mode: MtlsMode, place: EndpointPlace, caller: typeof web | null = web, s = state()) =>
    decideCall(mode, place, caller ?? undefined, s);

  it('keeps a same-node pod local in every mode, and off in plaintext', () => {
    for (const mode of ['off', 'permissive', 'strict'] as const)
      expect(decide(mode, local).kind).toBe('local');
    expect(decide('off', remote).kind).toBe('plaintext');
    expect(decide('off', unplaced, null, state({ tunnelOn: false })).kind).toBe('plaintext');
  });

  it('tunnels a remote pod when the caller is known and holds a certificate', () => {
    expect(decide('strict', remote)).toEqual({ kind: 'mtls' });
    expect(decide('permissive', remote)).toEqual({ kind: 'mtls' });
  });

  it('names why the tunnel cannot be used: strict fails, permissive falls back', () => {
    const cases: [EndpointPlace, typeof web | null, TunnelState, string][] = [
      [remote, web, state({ tunnelOn: false }), 'no_tunnel'],
      [unplaced, web, state(), 'no_node_proxy'],
      [remote, null, state(), 'unknown_caller'],
      [remote, web, state({ certificate: false }), 'no_certificate'],
    ];
    for (const [place, caller, s, reason] of cases) {
      expect(decide('strict', place, caller, s)).toEqual({ kind: 'unavailable', reason });
      expect(decide('permissive', place, caller, s)).toEqual({ kind: 'fallback', reason });
    }
  });

  it('lets permissive skip a tunnel that just failed, while strict tries it again', () => {
    const failing = state({ failing: true });
    expect(decide('permissive', remote, web, failing)).toEqual({ kind: 'fallback', reason: 'tunnel_failed' });
    expect(decide('strict', remote, web, failing)).toEqual({ kind: 'mtls' });
  });

  it('answers with shared objects: deciding allocates nothing', () => {
    expect(decide('strict', remote)).toBe(decide('strict', remote));
    expect(decide('permissive', unplaced)).toBe(decide('permissive', unplaced));
  });
});
