import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type PodView, readPodView } from './pod-view.js';
import { ServiceAccountIndex } from './service-account-index.js';

const pod = (
  name: string,
  labels: Record<string, string>,
  serviceAccount = 'default',
  namespace = 'shop',
  active = true,
): PodView => ({ namespace, name, labels, serviceAccount, active });

function indexOf(...pods: PodView[]): ServiceAccountIndex {
  const index = new ServiceAccountIndex();
  for (const p of pods) index.set(`${p.namespace}/${p.name}`, p);
  return index;
}

describe('ServiceAccountIndex', () => {
  it('lists the ServiceAccounts of the pods a selector matches, sorted and once each', () => {
    const index = indexOf(
      pod('a-1', { app: 'orders', tier: 'web' }, 'orders'),
      pod('a-2', { app: 'orders', tier: 'web' }, 'orders'),
      pod('b-1', { app: 'orders', tier: 'worker' }, 'batch'),
      pod('c-1', { app: 'billing' }, 'billing'),
      pod('d-1', { app: 'orders' }, 'other', 'web'),
    );
    expect(index.serviceAccountsFor('shop', { app: 'orders' })).toEqual(['batch', 'orders']);
    expect(index.serviceAccountsFor('shop', { app: 'orders', tier: 'web' })).toEqual(['orders']);
    expect(index.serviceAccountsFor('shop', { app: 'orders', tier: 'db' })).toEqual([]);
    expect(index.serviceAccountsFor('web', { app: 'orders' })).toEqual(['other']);
    expect(index.serviceAccountsFor('empty', { app: 'orders' })).toEqual([]);
  });

  it('gives no answer for a Service without a selector, nil or empty', () => {
    const index = indexOf(pod('a', { app: 'orders' }));
    expect(index.serviceAccountsFor('shop', undefined)).toBeUndefined();
    expect(index.serviceAccountsFor('shop', {})).toBeUndefined();
  });

  it('follows pods that come, change ServiceAccount or labels, finish and go', () => {
    const index = new ServiceAccountIndex();
    const accounts = () => index.serviceAccountsFor('shop', { app: 'orders' });
    expect(index.set('shop/a', pod('a', { app: 'orders' }, 'orders'))).toBe(true);
    expect(index.set('shop/b', pod('b', { app: 'orders' }, 'admin'))).toBe(true);
    expect(accounts()).toEqual(['admin', 'orders']);
    expect(index.set('shop/b', pod('b', { app: 'other' }, 'admin'))).toBe(true);
    expect(accounts()).toEqual(['orders']);
    expect(index.set('shop/a', pod('a', { app: 'orders' }, 'orders', 'shop', false))).toBe(true);
    expect(accounts()).toEqual([]);
    expect(index.set('shop/a', undefined)).toBe(false);
    expect(index.set('shop/b', undefined)).toBe(true);
    expect(index.size).toBe(0);
  });

  it('reports no change when nothing it keeps changed (a status update)', () => {
    const index = indexOf(pod('a', { app: 'orders', b: '1' }, 'orders'));
    expect(index.set('shop/a', pod('a', { b: '1', app: 'orders' }, 'orders'))).toBe(false);
    expect(index.set('shop/gone', undefined)).toBe(false);
  });

  it('keeps a ServiceAccount while any replica of its shape is left', () => {
    const index = indexOf(pod('a', { app: 'x' }, 'x'), pod('b', { app: 'x' }, 'x'));
    index.set('shop/a', undefined);
    expect(index.serviceAccountsFor('shop', { app: 'x' })).toEqual(['x']);
    index.set('shop/b', undefined);
    expect(index.serviceAccountsFor('shop', { app: 'x' })).toEqual([]);
  });

  it('answers like a scan over every pod, whatever the order of changes', () => {
    const view = fc.record({
      name: fc.constantFrom('p1', 'p2', 'p3', 'p4', 'p5'),
      namespace: fc.constantFrom('a', 'b'),
      labels: fc.dictionary(fc.constantFrom('app', 'tier', 'v'), fc.constantFrom('1', '2'), { maxKeys: 3 }),
      serviceAccount: fc.constantFrom('default', 'x', 'y'),
      active: fc.boolean(),
    });
    const change = fc.record({ view, gone: fc.boolean() });
    const selector = fc.dictionary(fc.constantFrom('app', 'tier', 'v'), fc.constantFrom('1', '2'), {
      minKeys: 1,
      maxKeys: 2,
    });
    fc.assert(
      fc.property(
        fc.array(change, { maxLength: 40 }),
        selector,
        fc.constantFrom('a', 'b'),
        (changes, sel, ns) => {
          const index = new ServiceAccountIndex();
          const truth = new Map<string, PodView>();
          for (const { view: v, gone } of changes) {
            const key = `${v.namespace}/${v.name}`;
            index.set(key, gone ? undefined : v);
            if (gone) truth.delete(key);
            else truth.set(key, v);
          }
          const expected = [
            ...new Set(
              [...truth.values()]
                .filter((p) => p.active && p.namespace === ns)
                .filter((p) => Object.entries(sel).every(([k, v]) => p.labels[k] === v))
                .map((p) => p.serviceAccount),
            ),
          ].sort();
          expect(index.serviceAccountsFor(ns, sel)).toEqual(expected);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('readPodView', () => {
  const raw = (spec: Record<string, unknown>, status: Record<string, unknown> = { phase: 'Running' }) => ({
    metadata: { namespace: 'shop', name: 'a', labels: { app: 'orders' } },
    spec,
    status,
  });

  it('reads namespace, name, labels, ServiceAccount and whether the pod still counts', () => {
    expect(readPodView(raw({ serviceAccountName: 'orders' }))).toEqual({
      namespace: 'shop',
      name: 'a',
      labels: { app: 'orders' },
      serviceAccount: 'orders',
      active: true,
    });
    expect(readPodView(raw({}, {}))?.active).toBe(true);
    expect(readPodView(raw({}, { phase: 'Pending' }))?.active).toBe(true);
    expect(readPodView(raw({}, { phase: 'Succeeded' }))?.active).toBe(false);
    expect(readPodView(raw({}, { phase: 'Failed' }))?.active).toBe(false);
  });

  it('takes default for an empty ServiceAccount, and the deprecated field when it is the only one', () => {
    expect(readPodView(raw({}))?.serviceAccount).toBe('default');
    expect(readPodView(raw({ serviceAccountName: '' }))?.serviceAccount).toBe('default');
    expect(readPodView(raw({ serviceAccount: 'legacy' }))?.serviceAccount).toBe('legacy');
    expect(readPodView(raw({ serviceAccountName: 'new', serviceAccount: 'old' }))?.serviceAccount).toBe(
      'new',
    );
  });

  it('reads nothing from objects no Pod can be', () => {
    for (const obj of [
      null,
      'pod',
      { metadata: { name: 'a' } },
      { metadata: { namespace: 'shop', name: 'a', labels: { app: 7 } } },
      { metadata: { namespace: 'shop', name: 'a', labels: ['x'] } },
      { metadata: { namespace: 'shop', name: 'a' }, spec: { serviceAccountName: 'Not,Valid' } },
    ]) {
      expect(readPodView(obj)).toBeUndefined();
    }
    expect(() => fc.assert(fc.property(fc.anything(), (v) => void readPodView(v)))).not.toThrow();
  });
});
