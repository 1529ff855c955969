import { describe, expect, it } from 'vitest';
import { matchesFields, parseFieldSelector } from './field-selector.js';

const pod = {
  metadata: { name: 'a', namespace: 'shop' },
  spec: { nodeName: 'node-1' },
  status: { phase: 'Running' },
};

function selects(selector: string, obj: unknown): boolean {
  const parsed = parseFieldSelector(selector);
  if (!parsed.ok) throw new Error(parsed.error);
  return matchesFields(parsed.value, obj);
}

describe('field selectors', () => {
  it('select on metadata.name, metadata.namespace and spec.nodeName', () => {
    expect(selects('metadata.name=a', pod)).toBe(true);
    expect(selects('metadata.name==b', pod)).toBe(false);
    expect(selects('metadata.namespace=shop,spec.nodeName=node-1', pod)).toBe(true);
    expect(selects('spec.nodeName!=node-1', pod)).toBe(false);
    expect(selects('spec.nodeName=', { metadata: {} })).toBe(true);
    expect(selects('status.phase=Running', pod)).toBe(true);
    expect(selects('', pod)).toBe(true);
  });

  it('rejects malformed requirements', () => {
    for (const bad of ['metadata.name', 'metadata..name=a', '.x=y', 'a b=c']) {
      expect(parseFieldSelector(bad).ok, bad).toBe(false);
    }
  });
});
