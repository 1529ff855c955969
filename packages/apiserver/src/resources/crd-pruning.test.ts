import { describe, expect, it } from 'vitest';
import type { JsonValue } from '../api/kube-object.js';
import { unknownCrdFields } from './crd-pruning.js';

const schema = {
  type: 'object',
  properties: {
    spec: {
      type: 'object',
      properties: {
        service: { type: 'string' },
        backends: { type: 'array', items: { type: 'object', properties: { service: { type: 'string' } } } },
        labels: { type: 'object', additionalProperties: { type: 'string' } },
        free: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
      },
    },
  },
};

describe('unknownCrdFields', () => {
  it('finds undeclared fields at any depth, allowing metadata, maps and preserved subtrees', () => {
    const obj = {
      apiVersion: 'x/v1',
      kind: 'T',
      metadata: { name: 'a', anything: 1 },
      spec: {
        service: 's',
        typo: 1,
        backends: [{ service: 'b', wieght: 5 }],
        labels: { a: 'b' },
        free: { whatever: { deep: true } },
      },
      extra: true,
    } as JsonValue;
    expect(unknownCrdFields(schema, obj, false)).toEqual(['spec.typo', 'spec.backends[0].wieght', 'extra']);
  });

  it('prunes them in place when asked', () => {
    const obj = { apiVersion: 'x/v1', kind: 'T', metadata: {}, spec: { service: 's', typo: 1 } } as JsonValue;
    unknownCrdFields(schema, obj, true);
    expect(obj).toEqual({ apiVersion: 'x/v1', kind: 'T', metadata: {}, spec: { service: 's' } });
  });

  it('keeps everything without a schema', () => {
    expect(unknownCrdFields(undefined, { a: 1 }, true)).toEqual([]);
  });
});
