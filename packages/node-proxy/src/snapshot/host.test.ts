import { describe, expect, it } from 'vitest';
import { hostKeys, normaliseHost } from './host.js';

describe('Host normalisation', () => {
  it.each([
    ['Orders.Shop.MESH', 'orders.shop.mesh'],
    ['orders.shop.mesh.:8080', 'orders.shop.mesh:8080'],
    ['orders.shop.mesh.', 'orders.shop.mesh'],
    [' 10.0.0.1:80 ', '10.0.0.1:80'],
    ['[FD00::1]:80', '[fd00::1]:80'],
  ])('%s → %s', (host, key) => expect(normaliseHost(host)).toBe(key));

  it('keys for name and ClusterIPs (IPv6 in brackets), with and without the port', () => {
    expect(hostKeys('shop', 'Orders', 'mesh', ['10.96.0.1', 'fd00::a'], 8080)).toEqual([
      'orders.shop.mesh',
      'orders.shop.mesh:8080',
      '10.96.0.1',
      '10.96.0.1:8080',
      '[fd00::a]',
      '[fd00::a]:8080',
    ]);
  });
});
