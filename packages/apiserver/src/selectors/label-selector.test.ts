import { describe, expect, it } from 'vitest';
import { matchesLabels, matchesSelectorMap, parseLabelSelector } from './label-selector.js';

function selects(selector: string, labels: Record<string, string>): boolean {
  const parsed = parseLabelSelector(selector);
  if (!parsed.ok) throw new Error(parsed.error);
  return matchesLabels(parsed.value, labels);
}

describe('label selectors', () => {
  it('supports =, == and !=', () => {
    expect(selects('app=web', { app: 'web' })).toBe(true);
    expect(selects('app==web', { app: 'web' })).toBe(true);
    expect(selects('app=web', { app: 'db' })).toBe(false);
    expect(selects('app!=web', { app: 'db' })).toBe(true);
    expect(selects('app!=web', {})).toBe(true);
    expect(selects('app!=web', { app: 'web' })).toBe(false);
  });

  it('supports in and notin, with commas inside the parentheses', () => {
    expect(selects('env in (prod, staging)', { env: 'staging' })).toBe(true);
    expect(selects('env in (prod,staging)', { env: 'dev' })).toBe(false);
    expect(selects('env in (prod)', {})).toBe(false);
    expect(selects('env notin (prod,staging)', { env: 'dev' })).toBe(true);
    expect(selects('env notin (prod,staging)', {})).toBe(true);
    expect(selects('env notin (prod)', { env: 'prod' })).toBe(false);
    expect(selects('env in (a,b),tier=web', { env: 'b', tier: 'web' })).toBe(true);
  });

  it('supports exists and !exists', () => {
    expect(selects('canary', { canary: '' })).toBe(true);
    expect(selects('canary', {})).toBe(false);
    expect(selects('!canary', {})).toBe(true);
    expect(selects('!canary', { canary: 'x' })).toBe(false);
  });

  it('treats the empty selector as everything and ANDs requirements', () => {
    expect(selects('', { a: 'b' })).toBe(true);
    expect(selects('a=b,c=d', { a: 'b' })).toBe(false);
    expect(selects('a=b, c', { a: 'b', c: '1' })).toBe(true);
    expect(selects('example.com/role=edge', { 'example.com/role': 'edge' })).toBe(true);
  });

  it('rejects malformed selectors with a message instead of throwing', () => {
    for (const bad of ['a=(b', 'env in (a', 'a=b,', '=b', 'a b', 'a=b c', 'env in a,b', 'a=-bad-']) {
      const parsed = parseLabelSelector(bad);
      expect(parsed.ok, bad).toBe(false);
    }
  });

  it('matches Service-style selector maps; an empty map matches nothing', () => {
    expect(matchesSelectorMap({ app: 'web' }, { app: 'web', x: 'y' })).toBe(true);
    expect(matchesSelectorMap({ app: 'web' }, { app: 'db' })).toBe(false);
    expect(matchesSelectorMap({}, { app: 'web' })).toBe(false);
  });
});
