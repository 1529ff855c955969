import type { Dispatcher } from 'undici';
import { describe, expect, it } from 'vitest';
import { meshService, readyEndpoints, topologyInputs } from '../../test/fixtures.js';
import { endpointKey } from '../snapshot/snapshot.js';
import { createTopologyBuilder } from '../topology/topology-builder.js';
import { UpstreamPools } from './upstream-pools.js';

/** undici's Pool and Client say whether they are closed; the Dispatcher type does not declare it. */
const closed = (d: Dispatcher) => (d as Dispatcher & { closed: boolean }).closed;

describe('upstream pools', () => {
  it('reuses one dispatcher per endpoint and scheme, and closes those of endpoints gone from the snapshot', async () => {
    const pools = new UpstreamPools();
    const a = { address: '127.0.0.1', port: 1, key: endpointKey('127.0.0.1', 1) };
    const b = { address: '127.0.0.1', port: 2, key: endpointKey('127.0.0.1', 2) };
    const poolA = pools.get(a, 'http');
    expect(pools.get(a, 'http')).toBe(poolA);
    expect(pools.get(a, 'h2c')).not.toBe(poolA);
    const poolB = pools.get(b, 'http');
    const snapshot = createTopologyBuilder().build(
      topologyInputs({
        services: [meshService('shop', 'web', [{ port: 80, targetPort: 5000 }])],
        endpoints: { 'shop/web': readyEndpoints([{ address: '127.0.0.1', port: 2 }]) },
      }),
    );
    pools.prune(snapshot);
    expect(closed(poolA)).toBe(true);
    expect(closed(poolB)).toBe(false);
    expect(pools.get(b, 'http')).toBe(poolB);
    await pools.close();
    expect(closed(poolB)).toBe(true);
  });
});
