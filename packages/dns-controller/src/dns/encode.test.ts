import { describe, expect, it } from 'vitest';
import { ipv6Bytes } from './encode.js';

describe('ipv6Bytes', () => {
  it.each([
    ['::', '00000000000000000000000000000000'],
    ['::1', '00000000000000000000000000000001'],
    ['fd00::a', 'fd00000000000000000000000000000a'],
    ['2001:db8:0:1:2:3:4:5', '20010db8000000010002000300040005'],
    ['fe80::', 'fe800000000000000000000000000000'],
    ['::ffff:10.0.0.1', '00000000000000000000ffff0a000001'],
    ['64:ff9b::192.0.2.33', '0064ff9b0000000000000000c0000221'],
  ])('%s', (address, expected) => {
    expect(ipv6Bytes(address).toString('hex')).toBe(expected);
  });
});
