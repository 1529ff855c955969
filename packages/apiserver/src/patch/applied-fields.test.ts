import { describe, expect, it } from 'vitest';
import { fieldSetOf, removeDroppedFields } from './applied-fields.js';

describe('applied field sets', () => {
  it('describe an applied configuration in FieldsV1 shape, keyed list elements by merge key', () => {
    expect(
      fieldSetOf(
        {
          apiVersion: 'v1',
          kind: 'Service',
          metadata: { name: 's', labels: { a: 'b' } },
          spec: { ports: [{ port: 80 }], selector: { x: 'y' } },
        },
        true,
      ),
    ).toEqual({
      'f:metadata': { 'f:labels': { 'f:a': {} } },
      'f:spec': { 'f:ports': { 'k:{"port":80}': { 'f:port': {} } }, 'f:selector': { 'f:x': {} } },
    });
  });

  it('remove what a manager applied before but not now, and nothing else', () => {
    const before = fieldSetOf(
      { metadata: { labels: { a: '1', b: '2' } }, spec: { ports: [{ port: 80 }, { port: 81 }], extra: 1 } },
      true,
    );
    const after = fieldSetOf({ metadata: { labels: { a: '1' } }, spec: { ports: [{ port: 81 }] } }, true);
    const live = {
      metadata: { name: 'x', labels: { a: '1', b: '2', c: 'other-manager' } },
      spec: { ports: [{ port: 80 }, { port: 81 }, { port: 99 }], extra: 1, clusterIP: '10.0.0.1' },
    };
    expect(removeDroppedFields(live, before, after)).toEqual({
      metadata: { name: 'x', labels: { a: '1', c: 'other-manager' } },
      spec: { ports: [{ port: 81 }, { port: 99 }], clusterIP: '10.0.0.1' },
    });
  });
});
