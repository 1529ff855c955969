import { describe, expect, it } from 'vitest';
import { modifyHeaders } from './header-modifier.js';
import { modifyPath } from './path-modifier.js';
import { redirectFor, splitHost } from './redirect.js';
import { rewriteUrl } from './url-rewrite.js';

describe('modifyHeaders', () => {
  it('sets, appends and removes, leaving the input untouched', () => {
    const input = { 'x-set': 'old', 'x-add': ['a', 'b'], 'x-remove': 'gone', keep: 'k' };
    const out = modifyHeaders(input, {
      set: [{ name: 'x-set', value: 'new' }],
      add: [
        { name: 'x-add', value: 'c' },
        { name: 'x-fresh', value: 'f' },
      ],
      remove: ['x-remove', 'absent'],
    });
    expect(out).toEqual({ 'x-set': 'new', 'x-add': 'a,b,c', 'x-fresh': 'f', keep: 'k' });
    expect(input['x-remove']).toBe('gone');
    expect(modifyHeaders(input, undefined)).toBe(input);
  });
});

describe('modifyPath', () => {
  const prefix = (value: string) => ({ type: 'ReplacePrefixMatch' as const, value });
  it.each([
    ['/prefix/one/two', '/prefix/one', prefix('/one'), '/one/two'],
    ['/strip-prefix/three', '/strip-prefix', prefix('/'), '/three'],
    ['/strip-prefix', '/strip-prefix', prefix('/'), '/'],
    ['/foo?x=1', '/foo', prefix('/bar/'), '/bar?x=1'],
    ['/any', '', prefix('/base'), '/base/any'],
    ['/full/one/two?q', '/full/one', { type: 'ReplaceFullPath' as const, value: '/one' }, '/one?q'],
  ])('%s with prefix %s → %j gives %s', (path, matched, modifier, expected) => {
    expect(modifyPath(path, modifier, matched)).toBe(expected);
  });
});

describe('redirectFor', () => {
  const base = {
    scheme: undefined,
    hostname: undefined,
    path: undefined,
    port: undefined,
    statusCode: 302 as const,
  };
  it('keeps what the filter leaves unset, and drops well-known ports', () => {
    expect(redirectFor(base, { host: 'echo.shop.mesh:8080', pathAndQuery: '/a?b' }, undefined)).toEqual({
      status: 302,
      location: 'http://echo.shop.mesh:8080/a?b',
    });
    expect(
      redirectFor({ ...base, port: 8083 }, { host: 'echo', pathAndQuery: '/port' }, undefined).location,
    ).toBe('http://echo:8083/port');
    expect(
      redirectFor({ ...base, scheme: 'https' }, { host: 'echo:8080', pathAndQuery: '/' }, undefined).location,
    ).toBe('https://echo/');
    expect(
      redirectFor(
        { ...base, hostname: 'example.org', port: 80, statusCode: 301 },
        { host: 'echo:8080', pathAndQuery: '/x' },
        undefined,
      ),
    ).toEqual({ status: 301, location: 'http://example.org/x' });
    expect(
      redirectFor(
        { ...base, path: { type: 'ReplacePrefixMatch', value: '/new' } },
        { host: 'echo', pathAndQuery: '/old/page' },
        '/old',
      ).location,
    ).toBe('http://echo/new/page');
  });

  it.each([301, 302, 303, 307, 308] as const)('answers with status %i as written', (statusCode) => {
    expect(redirectFor({ ...base, statusCode }, { host: 'echo', pathAndQuery: '/' }, undefined).status).toBe(
      statusCode,
    );
  });

  it('splits hosts with ports, IPv6 included', () => {
    expect(splitHost('a.b:81')).toEqual({ hostname: 'a.b', port: 81 });
    expect(splitHost('[::1]:81')).toEqual({ hostname: '[::1]', port: 81 });
    expect(splitHost('a.b')).toEqual({ hostname: 'a.b', port: undefined });
  });
});

describe('rewriteUrl', () => {
  it('rewrites the host (keeping the port) and the path', () => {
    expect(
      rewriteUrl(
        { hostname: 'other.example', path: { type: 'ReplaceFullPath', value: '/x' } },
        { host: 'echo:8080', pathAndQuery: '/a?q=1' },
        undefined,
      ),
    ).toEqual({ host: 'other.example:8080', pathAndQuery: '/x?q=1' });
    expect(
      rewriteUrl({ hostname: undefined, path: undefined }, { host: 'echo', pathAndQuery: '/a' }, undefined),
    ).toEqual({
      host: 'echo',
      pathAndQuery: '/a',
    });
  });
});
