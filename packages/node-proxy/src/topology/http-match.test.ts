import { describe, expect, it } from 'vitest';
import { compileHttpMatch, type HttpMatchRule, matchesRule } from './http-match.js';

function rule(match: Parameters<typeof compileHttpMatch>[0]): HttpMatchRule {
  const compiled = compileHttpMatch(match);
  if ('error' in compiled) throw new Error(compiled.error);
  return compiled.rule;
}

describe('HTTPRouteGroup matches', () => {
  const v2 = rule({
    name: 'v2',
    pathRegex: '/v2(/.*)?',
    methods: ['GET', 'post'],
    headers: { 'X-Canary': 'yes|true' },
  });
  const table: [string, Parameters<typeof matchesRule>[1], boolean][] = [
    ['all fields hold', { method: 'GET', path: '/v2/items?x=1', headers: { 'x-canary': 'true' } }, true],
    ['method compared upper case', { method: 'POST', path: '/v2', headers: { 'x-canary': 'yes' } }, true],
    [
      'path is anchored at the start',
      { method: 'GET', path: '/api/v2', headers: { 'x-canary': 'yes' } },
      false,
    ],
    [
      'path must match whole (no prefix match)',
      { method: 'GET', path: '/v2-admin', headers: { 'x-canary': 'yes' } },
      false,
    ],
    [
      'query is not part of the path',
      { method: 'GET', path: '/x?/v2', headers: { 'x-canary': 'yes' } },
      false,
    ],
    ['other method', { method: 'DELETE', path: '/v2', headers: { 'x-canary': 'yes' } }, false],
    ['header missing', { method: 'GET', path: '/v2', headers: {} }, false],
    [
      'header must match whole value',
      { method: 'GET', path: '/v2', headers: { 'x-canary': 'yesno' } },
      false,
    ],
  ];
  for (const [name, request, expected] of table) {
    it(name, () => expect(matchesRule(v2, request)).toBe(expected));
  }

  it('empty methods or * mean any method; no path means any path', () => {
    const any = rule({ name: 'any', methods: ['*'], headers: {} });
    expect(matchesRule(any, { method: 'PATCH', path: '/whatever', headers: {} })).toBe(true);
  });

  it('reports a pattern RE2 rejects instead of throwing', () => {
    const compiled = compileHttpMatch({ name: 'bad', pathRegex: '(?<=x)y', methods: [], headers: {} });
    expect('error' in compiled && compiled.error).toMatch(/^match "bad": /);
  });
});
