import { describe, expect, it } from 'vitest';
import { clusterAddress, nodeAddress, podAddress, podCidr, podGateway } from './addressing.js';

describe('address plan', () => {
  it('gives nodes, pod networks and pods distinct addresses', () => {
    expect(nodeAddress(1)).toBe('10.250.0.11');
    expect(nodeAddress(3)).toBe('10.250.0.13');
    expect(podCidr(2)).toBe('10.251.2.0/24');
    expect(podGateway(2)).toBe('10.251.2.1');
    expect(podAddress(2, 1)).toBe('10.251.2.2');
    expect(podAddress(2, 250)).toBe('10.251.2.251');
  });

  it('counts ClusterIPs through the service /16', () => {
    expect(clusterAddress(1)).toBe('10.96.0.1');
    expect(clusterAddress(256)).toBe('10.96.1.0');
    expect(clusterAddress(300)).toBe('10.96.1.44');
  });

  it('rejects indexes outside the plan', () => {
    expect(() => nodeAddress(0)).toThrow(/node index must be an integer from 1 to 200, got 0/);
    expect(() => podAddress(1, 251)).toThrow(/pod index/);
    expect(() => podAddress(1, 1.5)).toThrow(/pod index/);
  });
});
