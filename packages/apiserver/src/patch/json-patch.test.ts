import { describe, expect, it } from 'vitest';
import { applyJsonPatch } from './json-patch.js';

describe('JSON patch (RFC 6902)', () => {
  const doc = { metadata: { labels: { a: '1' } }, spec: { ports: [{ port: 80 }, { port: 81 }] } };

  it('adds, replaces, removes, moves, copies and tests', () => {
    const result = applyJsonPatch(doc, [
      { op: 'add', path: '/metadata/labels/b', value: '2' },
      { op: 'replace', path: '/spec/ports/0/port', value: 8080 },
      { op: 'add', path: '/spec/ports/-', value: { port: 82 } },
      { op: 'remove', path: '/spec/ports/1' },
      { op: 'copy', from: '/metadata/labels/a', path: '/metadata/labels/c' },
      { op: 'move', from: '/metadata/labels/b', path: '/metadata/labels/d' },
      { op: 'test', path: '/metadata/labels/d', value: '2' },
      { op: 'add', path: '/metadata/annotations', value: { 'x~y/z': 'v' } },
      { op: 'replace', path: '/metadata/annotations/x~0y~1z', value: 'w' },
    ]);
    expect(result).toEqual({
      ok: true,
      value: {
        metadata: { labels: { a: '1', c: '1', d: '2' }, annotations: { 'x~y/z': 'w' } },
        spec: { ports: [{ port: 8080 }, { port: 82 }] },
      },
    });
    expect(doc.spec.ports).toHaveLength(2);
  });

  it('reports the failing operation instead of throwing', () => {
    const cases: unknown[] = [
      { op: 'add' },
      [{ op: 'remove', path: '/nope' }],
      [{ op: 'replace', path: '/spec/ports/9', value: 1 }],
      [{ op: 'test', path: '/metadata/labels/a', value: '2' }],
      [{ op: 'frobnicate', path: '/a' }],
      [{ op: 'add', path: 'no-slash', value: 1 }],
      [{ op: 'add', path: '/a/b/c', value: 1 }],
      [{ op: 'move', from: '/x', path: '/y' }],
    ];
    for (const patch of cases) {
      const result = applyJsonPatch(doc, patch);
      expect(result.ok, JSON.stringify(patch)).toBe(false);
    }
    const failed = applyJsonPatch(doc, [
      { op: 'add', path: '/a', value: 1 },
      { op: 'remove', path: '/nope' },
    ]);
    expect(failed.ok ? '' : failed.error).toMatch(/^operation 1:/);
  });
});
