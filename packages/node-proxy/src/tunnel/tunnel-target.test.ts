import { describe, expect, it } from 'vitest';
import { formatTunnelTarget, parseTunnelTarget } from './tunnel-target.js';

describe('parseTunnelTarget', () => {
  it('reads podIP:port for IPv4 and [IPv6]:port, IPv6 in one spelling', () => {
    expect(parseTunnelTarget('10.1.2.3:8080')).toEqual({ podIP: '10.1.2.3', port: 8080 });
    expect(parseTunnelTarget('[FD00:0:0::1]:443')).toEqual({ podIP: 'fd00::1', port: 443 });
    expect(parseTunnelTarget('[::ffff:10.0.0.1]:1')).toEqual({ podIP: '::ffff:a00:1', port: 1 });
    expect(parseTunnelTarget('1.2.3.4:65535')?.port).toBe(65_535);
  });

  it('refuses names, bad addresses, bad ports and anything extra', () => {
    for (const bad of [
      undefined,
      ['10.0.0.1:80'],
      '',
      'orders.shop.svc:80',
      'localhost:80',
      '10.0.0.1',
      '10.0.0.1:',
      '10.0.0.1:0',
      '10.0.0.1:65536',
      '10.0.0.1:080',
      '10.0.0.256:80',
      '010.0.0.1:80',
      '10.0.0.1:80/x',
      ' 10.0.0.1:80',
      'user@10.0.0.1:80',
      'fd00::1:80',
      '[fd00::1]',
      '[fd00::1%eth0]:80',
      '[10.0.0.1]:80',
      `[${'1:'.repeat(40)}1]:80`,
    ]) {
      expect(parseTunnelTarget(bad), String(bad)).toBeUndefined();
    }
  });

  it('formats what it reads', () => {
    for (const authority of ['10.1.2.3:8080', '[fd00::1]:443']) {
      const target = parseTunnelTarget(authority);
      expect(target && formatTunnelTarget(target)).toBe(authority);
    }
  });
});
