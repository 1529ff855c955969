import { describe, expect, it } from 'vitest';
import { parseRequestTarget } from './request-target.js';

const http1 = { absoluteForm: true };
const http2 = { absoluteForm: false };

describe('parseRequestTarget', () => {
  it('origin-form: the path normalised, the query as it came', () => {
    expect(parseRequestTarget('GET', '/a/../b?x=/../y', http1)).toEqual({
      kind: 'origin',
      pathAndQuery: '/b?x=/../y',
      authority: undefined,
    });
  });

  it('absolute-form (HTTP/1.1 only): origin-form plus the authority of the URI', () => {
    expect(parseRequestTarget('GET', 'http://orders.shop.mesh:8080/a/./b?q', http1)).toEqual({
      kind: 'origin',
      pathAndQuery: '/a/b?q',
      authority: 'orders.shop.mesh:8080',
    });
    expect(parseRequestTarget('GET', 'HTTP://orders.shop.mesh', http1)).toEqual({
      kind: 'origin',
      pathAndQuery: '/',
      authority: 'orders.shop.mesh',
    });
    expect(parseRequestTarget('GET', 'http://orders.shop.mesh?q=1', http1)).toMatchObject({
      pathAndQuery: '/?q=1',
    });
    expect(parseRequestTarget('GET', 'http://orders.shop.mesh/', http2)).toHaveProperty('error');
  });

  it('asterisk-form for OPTIONS only', () => {
    expect(parseRequestTarget('OPTIONS', '*', http1)).toEqual({ kind: 'asterisk' });
    expect(parseRequestTarget('GET', '*', http1)).toHaveProperty('error');
  });

  it.each([
    ['GET', 'https://orders.shop.mesh/'],
    ['GET', 'http:orders'],
    ['GET', 'http://user:pw@orders.shop.mesh/'],
    ['GET', 'http:///x'],
    ['GET', 'orders.shop.mesh:80'],
    ['CONNECT', 'orders.shop.mesh:80'],
    ['GET', '/a#frag'],
    ['GET', '/a%2fb'],
    ['GET', 'x/y'],
  ])('%s %s is refused', (method, target) => {
    expect(parseRequestTarget(method, target, http1)).toHaveProperty('error');
  });
});
