import { describe, expect, it } from 'vitest';
import { applyStrategicMergePatch } from './strategic-merge-patch.js';

function apply(target: unknown, patch: unknown): unknown {
  const result = applyStrategicMergePatch(target, patch);
  if (!result.ok) throw new Error(result.error);
  return result.value;
}

const pod = {
  spec: {
    containers: [
      {
        name: 'app',
        image: 'a:1',
        ports: [{ containerPort: 80, name: 'http' }],
        env: [{ name: 'A', value: '1' }],
      },
      { name: 'side', image: 's:1' },
    ],
    tolerations: [{ key: 'x' }],
  },
  metadata: { finalizers: ['a'], labels: { keep: 'yes', drop: 'me' } },
};

describe('strategic merge patch', () => {
  it('merges containers by name, their ports by containerPort and env by name', () => {
    const out = apply(pod, {
      spec: {
        containers: [
          {
            name: 'app',
            image: 'a:2',
            ports: [{ containerPort: 81, name: 'admin' }],
            env: [{ name: 'A', value: '2' }],
          },
        ],
      },
    }) as typeof pod;
    expect(out.spec.containers).toEqual([
      {
        name: 'app',
        image: 'a:2',
        ports: [
          { containerPort: 80, name: 'http' },
          { containerPort: 81, name: 'admin' },
        ],
        env: [{ name: 'A', value: '2' }],
      },
      { name: 'side', image: 's:1' },
    ]);
  });

  it('merges Service ports by port', () => {
    const svc = {
      spec: {
        ports: [
          { port: 80, name: 'http' },
          { port: 443, name: 'https' },
        ],
      },
    };
    expect(apply(svc, { spec: { ports: [{ port: 443, targetPort: 8443 }] } })).toEqual({
      spec: {
        ports: [
          { port: 80, name: 'http' },
          { port: 443, name: 'https', targetPort: 8443 },
        ],
      },
    });
  });

  it('deletes with null and $patch: delete, replaces with $patch: replace', () => {
    const out = apply(pod, {
      metadata: { labels: { drop: null } },
      spec: { containers: [{ name: 'side', $patch: 'delete' }], tolerations: [{ key: 'y' }] },
    }) as typeof pod;
    expect(out.metadata.labels).toEqual({ keep: 'yes' });
    expect(out.spec.containers.map((c) => c.name)).toEqual(['app']);
    expect(out.spec.tolerations).toEqual([{ key: 'y' }]);
    expect(apply({ a: { b: 1, c: 2 } }, { a: { $patch: 'replace', d: 3 } })).toEqual({ a: { d: 3 } });
    expect(apply({ l: [{ name: 'x' }] }, { l: [{ $patch: 'replace' }, { name: 'y' }] })).toEqual({
      l: [{ name: 'y' }],
    });
  });

  it('honours $setElementOrder, $deleteFromPrimitiveList and $retainKeys, and merges finalizers as a set', () => {
    const out = apply(pod, {
      spec: { '$setElementOrder/containers': [{ name: 'side' }, { name: 'app' }] },
      metadata: { finalizers: ['b'] },
    }) as typeof pod;
    expect(out.spec.containers.map((c) => c.name)).toEqual(['side', 'app']);
    expect(out.metadata.finalizers).toEqual(['a', 'b']);
    const removed = apply(pod, { metadata: { '$deleteFromPrimitiveList/finalizers': ['a'] } }) as typeof pod;
    expect(removed.metadata.finalizers).toEqual([]);
    expect(apply({ s: { type: 'A', a: 1, b: 2 } }, { s: { $retainKeys: ['type', 'b'], type: 'B' } })).toEqual(
      {
        s: { type: 'B', b: 2 },
      },
    );
  });

  it('rejects a patch that is not an object', () => {
    expect(applyStrategicMergePatch({}, [1]).ok).toBe(false);
    expect(applyStrategicMergePatch({}, 'x').ok).toBe(false);
  });
});
