import { describe, expect, it } from 'vitest';
import { parseCidr } from './cidr.js';
import { ClusterIpAllocator } from './cluster-ip-allocator.js';

function allocator(cidr: string): ClusterIpAllocator {
  const parsed = parseCidr(cidr);
  if (!parsed.ok) throw new Error(parsed.error);
  return new ClusterIpAllocator(parsed.value);
}

describe('CIDR parsing', () => {
  it('accepts IPv4 blocks and explains what is wrong with others', () => {
    expect(parseCidr('10.96.0.0/16')).toEqual({
      ok: true,
      value: { network: 0x0a600000, prefix: 16, size: 65536 },
    });
    for (const bad of [
      '10.96.0.1/16',
      '10.96.0.0',
      '10.96.0.0/33',
      '300.1.1.1/8',
      'fd00::/64',
      '10.96.0.0/16/1',
      '10.96.0.0/4',
    ]) {
      const parsed = parseCidr(bad);
      expect(parsed.ok, bad).toBe(false);
      if (!parsed.ok) expect(parsed.error).toContain(JSON.stringify(bad));
    }
  });
});

describe('ClusterIpAllocator', () => {
  it('hands out distinct addresses, skipping network, the first and the broadcast address', () => {
    const ips = allocator('127.10.0.0/29');
    const got = [ips.allocate(), ips.allocate(), ips.allocate(), ips.allocate(), ips.allocate()];
    expect(got).toEqual(['127.10.0.2', '127.10.0.3', '127.10.0.4', '127.10.0.5', '127.10.0.6']);
    expect(ips.allocate()).toBeUndefined();
    ips.release('127.10.0.4');
    expect(ips.allocate()).toBe('127.10.0.4');
  });

  it('reserves requested addresses, refusing taken and out-of-range ones', () => {
    const ips = allocator('10.96.0.0/16');
    expect(ips.reserve('10.96.5.5')).toBe('ok');
    expect(ips.reserve('10.96.5.5')).toBe('taken');
    expect(ips.reserve('10.97.0.1')).toBe('out-of-range');
    expect(ips.reserve('10.96.0.0')).toBe('out-of-range');
    expect(ips.reserve('10.96.255.255')).toBe('out-of-range');
    expect(ips.reserve('ten')).toBe('invalid');
    expect(ips.isTaken('10.96.5.5')).toBe(true);
  });

  it('does not hand out a reserved address', () => {
    const ips = allocator('10.0.0.0/29');
    expect(ips.reserve('10.0.0.2')).toBe('ok');
    expect(ips.allocate()).toBe('10.0.0.3');
  });
});
