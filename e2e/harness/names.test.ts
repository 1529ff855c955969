import { describe, expect, it } from 'vitest';
import { checkShortName, linkName, linkTag, ownerPid, runPrefix } from './names.js';

describe('harness names', () => {
  it('carry the owning pid so leftovers of dead runs can be found', () => {
    expect(runPrefix(4242)).toBe('nmt4242-');
    expect(ownerPid('nmt4242-node-a')).toBe(4242);
    expect(ownerPid('nmtx-node-a')).toBeUndefined();
    expect(ownerPid('cni-1234')).toBeUndefined();
  });

  it('keep interface names within 15 characters for the largest pid', () => {
    const tag = linkTag(4_194_304);
    expect(linkName(tag, 'p', 1295).length).toBeLessThanOrEqual(15);
    expect(linkName(linkTag(77), 'h', 3)).toBe('nm25h3');
    expect(() => linkName('a-very-long-tag', 'h', 1)).toThrow(/1-15 characters/);
  });

  it('accepts short node and pod names only', () => {
    expect(checkShortName('pod', 'web-1')).toBeUndefined();
    expect(checkShortName('pod', 'Web')).toMatch(/pod name must match/);
    expect(checkShortName('node', 'a-name-far-too-long')).toMatch(/got "a-name-far-too-long"/);
  });
});
