import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { normalisePath, removeDotSegments } from './path-normaliser.js';

describe('normalisePath', () => {
  it.each([
    ['/', '/'],
    ['/books', '/books'],
    ['//books', '//books'],
    ['/books/', '/books/'],
    ['/%62ooks', '/books'],
    ['/a%7e%2D%5f%2e', '/a~-_.'],
    ['/a%20b%3f', '/a%20b%3F'],
    ['/a%c3%a9', '/a%C3%A9'],
    ['/books/../admin', '/admin'],
    ['/books/%2e%2e/admin', '/admin'],
    ['/books/.%2E/admin', '/admin'],
    ['/a/b/c/./../../g', '/a/g'],
    ['/a/./b/.', '/a/b/'],
    ['/a/b/..', '/a/'],
    ['/../../x', '/x'],
    ['/a;p=1/b', '/a;p=1/b'],
    ['/.../x', '/.../x'],
  ])('%s → %s', (input, expected) => {
    expect(normalisePath(input)).toEqual({ path: expected });
  });

  it.each([
    ['/a%2fb', 'encoded_slash'],
    ['/a%2F..%2Fb', 'encoded_slash'],
    ['/a%5cb', 'encoded_slash'],
    ['/a\\b', 'backslash'],
    ['/a%zz', 'bad_percent_encoding'],
    ['/a%4', 'bad_percent_encoding'],
    ['/a%', 'bad_percent_encoding'],
    ['/public/..;/admin', 'dot_segment_parameters'],
    ['/public/.;x/admin', 'dot_segment_parameters'],
    ['/public/%2e%2e;/admin', 'dot_segment_parameters'],
  ])('%s is refused (%s)', (input, error) => {
    expect(normalisePath(input)).toEqual({ error });
  });

  it('is idempotent, and its result has no dot segment', () => {
    const segment = fc.constantFrom('a', 'b', '.', '..', '', '%2e', '%2E%2e', '%41', 'x%20');
    fc.assert(
      fc.property(fc.array(segment, { maxLength: 8 }), (segments) => {
        const once = normalisePath(`/${segments.join('/')}`);
        if ('error' in once) return;
        expect(normalisePath(once.path)).toEqual(once);
        expect(once.path.split('/').some((s) => s === '.' || s === '..')).toBe(false);
        expect(once.path.startsWith('/')).toBe(true);
      }),
    );
  });

  it('removeDotSegments follows RFC 3986 §5.2.4', () => {
    expect(removeDotSegments('/a/b/c/./../../g')).toBe('/a/g');
    expect(removeDotSegments('/a//../b')).toBe('/a/b');
    expect(removeDotSegments('/..')).toBe('/');
  });
});
