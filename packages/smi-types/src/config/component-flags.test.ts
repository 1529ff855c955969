import { describe, expect, it } from 'vitest';
import { envNameOfFlag, parsePortRange } from './component-flags.js';

describe('component flags', () => {
  it('names the environment variable of a flag', () => {
    expect(envNameOfFlag('http-entrypoints')).toBe('NODEMESH_HTTP_ENTRYPOINTS');
    expect(envNameOfFlag('dns-ttl')).toBe('NODEMESH_DNS_TTL');
  });

  it.each([
    ['10000-14999', { first: 10000, last: 14999 }],
    ['1-65535', { first: 1, last: 65535 }],
    ['53-53', { first: 53, last: 53 }],
  ])('reads the port range %s', (text, range) => {
    expect(parsePortRange(text)).toEqual(range);
  });

  it.each(['', '10000', '0-10', '10-65536', '20-10', '1-2-3', ' 1-2', 'a-b', '000001-2'])(
    'rejects %j',
    (text) => {
      expect(parsePortRange(text)).toBeUndefined();
    },
  );
});
