import { describe, expect, it } from 'vitest';
import { ChangeTracker } from './change-tracker.js';

const svc = (name: string, resourceVersion: string, namespace = 'demo') => ({
  metadata: { namespace, name, resourceVersion },
});

describe('ChangeTracker', () => {
  it('records an add as {previous: undefined, current}', () => {
    const tracker = new ChangeTracker<unknown>();
    expect(tracker.add(svc('web', '1'))).toBe(true);
    expect([...tracker.drain()]).toEqual([['demo/web', { previous: undefined, current: svc('web', '1') }]]);
  });

  it('drops an update to the same resourceVersion', () => {
    const tracker = new ChangeTracker<unknown>();
    expect(tracker.update(svc('web', '7'), svc('web', '7'))).toBe(false);
    expect(tracker.pending()).toBe(0);
  });

  it('turns add then delete into nothing', () => {
    const tracker = new ChangeTracker<unknown>();
    tracker.add(svc('web', '1'));
    tracker.update(svc('web', '1'), svc('web', '2'));
    expect(tracker.delete(svc('web', '2'))).toBe(false);
    expect(tracker.pending()).toBe(0);
    expect(tracker.drain().size).toBe(0);
  });

  it('keeps the state at the last drain as previous across several updates', () => {
    const tracker = new ChangeTracker<unknown>();
    tracker.update(svc('web', '1'), svc('web', '2'));
    tracker.update(svc('web', '2'), svc('web', '3'));
    expect(tracker.drain().get('demo/web')).toEqual({ previous: svc('web', '1'), current: svc('web', '3') });
  });

  it('drops updates that return to the drained state', () => {
    const tracker = new ChangeTracker<unknown>();
    tracker.delete(svc('web', '4'));
    tracker.add(svc('web', '4'));
    expect(tracker.pending()).toBe(0);
  });

  it('reports update then delete as a delete of the drained state', () => {
    const tracker = new ChangeTracker<unknown>();
    tracker.update(svc('web', '1'), svc('web', '2'));
    tracker.delete(svc('web', '2'));
    expect(tracker.drain().get('demo/web')).toEqual({ previous: svc('web', '1'), current: undefined });
  });

  it('drain clears, and keys objects by namespace/name', () => {
    const tracker = new ChangeTracker<unknown>();
    tracker.add(svc('web', '1', 'a'));
    tracker.add(svc('web', '1', 'b'));
    expect(tracker.pending()).toBe(2);
    expect([...tracker.drain().keys()].sort()).toEqual(['a/web', 'b/web']);
    expect(tracker.pending()).toBe(0);
  });

  it('ignores objects without a name and never throws on junk', () => {
    const tracker = new ChangeTracker<unknown>();
    for (const junk of [null, 42, 'x', {}, { metadata: null }, { metadata: { name: 5 } }]) {
      expect(tracker.add(junk)).toBe(false);
    }
    expect(tracker.pending()).toBe(0);
  });

  it('accepts custom key and version functions for domain types', () => {
    const tracker = new ChangeTracker<{ id: string; gen: number }>({
      keyOf: (o) => o.id,
      versionOf: (o) => String(o.gen),
    });
    tracker.update({ id: 'x', gen: 1 }, { id: 'x', gen: 1 });
    expect(tracker.pending()).toBe(0);
    tracker.update({ id: 'x', gen: 1 }, { id: 'x', gen: 2 });
    expect(tracker.pending()).toBe(1);
  });

  it('treats objects without a resourceVersion as changed', () => {
    const tracker = new ChangeTracker<unknown>();
    tracker.update({ metadata: { name: 'a' } }, { metadata: { name: 'a' } });
    expect(tracker.pending()).toBe(1);
  });
});
