import { describe, expect, it } from 'vitest';
import { parseIdentity } from './servers.js';

describe('parseIdentity', () => {
  it('reads the identity server’s answer', () => {
    expect(parseIdentity('{"pod":"web","node":"node-a","client":"10.251.1.2","path":"/"}\n')).toEqual({
      pod: 'web',
      node: 'node-a',
      client: '10.251.1.2',
      path: '/',
    });
  });

  it('says what it got when the answer is something else', () => {
    expect(() => parseIdentity('{"pod":"web"}')).toThrow('not an identity answer: {"pod":"web"}');
    expect(() => parseIdentity('<html>')).toThrow(SyntaxError);
  });
});
