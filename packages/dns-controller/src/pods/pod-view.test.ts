import { selectFields } from '@nodemesh/kube-runtime';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { POD_VIEW_FIELDS, readPodView } from './pod-view.js';

describe('the pods informer transform', () => {
  it('keeps every field readPodView reads, and drops the rest of the Pod', () => {
    const keep = selectFields(POD_VIEW_FIELDS);
    const value = fc.oneof(fc.string({ maxLength: 8 }), fc.boolean(), fc.constant(null), fc.integer());
    const arbitraryPod = fc.record({
      metadata: fc.record(
        {
          namespace: fc.constantFrom('shop', ''),
          name: fc.constantFrom('web-1', ''),
          labels: fc.oneof(fc.dictionary(fc.constantFrom('app', 'tier'), value), value),
          managedFields: fc.array(fc.record({ manager: fc.string({ maxLength: 4 }) }), { maxLength: 1 }),
        },
        { requiredKeys: [] },
      ),
      spec: fc.oneof(
        fc.record({
          serviceAccountName: value,
          serviceAccount: value,
          containers: fc.array(fc.record({ image: fc.string({ maxLength: 4 }) }), { maxLength: 2 }),
        }),
        value,
      ),
      status: fc.record({ phase: fc.oneof(fc.constantFrom('Running', 'Failed', 'Succeeded'), value) }),
    });
    fc.assert(
      fc.property(arbitraryPod, (p) => {
        expect(readPodView(keep(p))).toEqual(readPodView(p));
      }),
      { numRuns: 500 },
    );
    const kept = keep({
      metadata: { name: 'a', namespace: 'b', labels: { app: 'x' }, managedFields: [{}] },
      spec: { containers: [{ image: 'big' }], serviceAccountName: 'sa' },
      status: { phase: 'Running', conditions: [] },
    });
    expect(kept).toEqual({
      metadata: { name: 'a', namespace: 'b', labels: { app: 'x' } },
      spec: { serviceAccountName: 'sa' },
      status: { phase: 'Running' },
    });
  });
});
