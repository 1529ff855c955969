import { describe, expect, it } from 'vitest';
import { describeValue } from './describe.js';
import { fieldPath } from './path.js';
import { formatFieldErrors } from './result.js';

describe('field errors', () => {
  it('builds Kubernetes-style paths', () => {
    expect(fieldPath(fieldPath(fieldPath('', 'spec'), 'backends'), 1)).toBe('spec.backends[1]');
  });

  it('formats one error a line, with its path', () => {
    expect(
      formatFieldErrors([
        { path: 'spec.backends[1].weight', message: 'must be a non-negative integer, got "ten"' },
        { path: '', message: 'must be an object' },
      ]),
    ).toBe('spec.backends[1].weight: must be a non-negative integer, got "ten"\nmust be an object');
  });

  it('describes values briefly and safely', () => {
    expect(describeValue('ten')).toBe('"ten"');
    expect(describeValue(null)).toBe('null');
    expect(describeValue([1])).toBe('a list');
    expect(describeValue({ a: 1 })).toBe('an object');
    expect(describeValue('x'.repeat(100))).toHaveLength(66);
  });
});
