import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { withField } from '../../test/support/mutate.js';
import { SMI_EXAMPLES } from './examples.js';
import { parseSmiResource, SMI_RESOURCE_TYPES } from './parse.js';

/* Validators read objects from the API server: whatever they are given, they answer with a Result. */

function isResult(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const result = value as { ok?: unknown; value?: unknown; errors?: unknown };
  if (result.ok === true) return typeof result.value === 'object' && result.value !== null;
  return (
    result.ok === false &&
    Array.isArray(result.errors) &&
    result.errors.length > 0 &&
    result.errors.every(
      (e: { path?: unknown; message?: unknown }) =>
        typeof e.path === 'string' && typeof e.message === 'string',
    )
  );
}

const validators = [parseSmiResource, ...SMI_RESOURCE_TYPES.map((t) => t.validate)];

/** Copies of valid examples with parts cut away: fields removed, lists shortened. */
const truncated = fc
  .tuple(fc.constantFrom(...SMI_EXAMPLES), fc.array(fc.nat(), { minLength: 1, maxLength: 4 }))
  .map(([example, cuts]) => {
    let object: unknown = example.object;
    for (const cut of cuts) {
      const json = JSON.stringify(object);
      const keys = json.match(/"[^"]*":/g) ?? [];
      const key = keys[cut % Math.max(keys.length, 1)];
      if (key === undefined) break;
      object = cutField(object, key.slice(1, -2));
    }
    return object;
  });

/** Removes the first field named `name`, wherever it is. */
function cutField(object: unknown, name: string): unknown {
  const stack: (string | number)[][] = [[]];
  while (stack.length > 0) {
    const path = stack.pop() as (string | number)[];
    let node: unknown = object;
    for (const key of path) node = (node as Record<string | number, unknown>)[key];
    if (typeof node !== 'object' || node === null) continue;
    if (!Array.isArray(node) && Object.hasOwn(node, name))
      return withField(object, [...path, name], undefined);
    for (const key of Object.keys(node)) stack.push([...path, Array.isArray(node) ? Number(key) : key]);
  }
  return object;
}

describe('validators on arbitrary input', () => {
  it('answer any value with a Result', () => {
    fc.assert(
      fc.property(fc.anything(), (value) => validators.every((validate) => isResult(validate(value)))),
      { numRuns: 500 },
    );
  });

  it('answer random JSON shaped like an SMI object with a Result', () => {
    const shaped = fc.record({
      apiVersion: fc.constantFrom(...SMI_RESOURCE_TYPES.map((t) => t.apiVersion)),
      kind: fc.constantFrom('TrafficTarget', 'HTTPRouteGroup', 'TCPRoute', 'UDPRoute', 'TrafficSplit'),
      metadata: fc.oneof(fc.jsonValue(), fc.record({ name: fc.string(), namespace: fc.string() })),
      spec: fc.jsonValue(),
    });
    fc.assert(
      fc.property(shaped, (value) => validators.every((validate) => isResult(validate(value)))),
      { numRuns: 1000 },
    );
  });

  it('answer truncated copies of valid objects with a Result', () => {
    fc.assert(
      fc.property(truncated, (value) => validators.every((validate) => isResult(validate(value)))),
      { numRuns: 1000 },
    );
  });

  it('never pass through a value they did not check', () => {
    for (const example of SMI_EXAMPLES) {
      expect(isResult(parseSmiResource(example.object))).toBe(true);
    }
  });
});
