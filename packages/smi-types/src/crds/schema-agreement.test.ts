import { Ajv, type ValidateFunction } from 'ajv';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { withField } from '../../test/support/mutate.js';
import { SMI_EXAMPLES } from '../smi/examples.js';
import { findSmiResourceType } from '../smi/parse.js';
import { SMI_SCHEMAS } from './schemas.js';

/*
 * "Never accept an object that the CRD schema would reject": the API server stores only what the schema
 * allows, so a validator that accepted more would make promises the cluster cannot keep. Checked on the
 * examples and on many mutated copies of them.
 */

const ajv = new Ajv({ strict: false, allErrors: true, logger: false });
const schemaFor = new Map<string, ValidateFunction>(
  Object.entries(SMI_SCHEMAS).map(([key, schema]) => [key, ajv.compile(schema)]),
);

type Key = string | number;

/** Every path to a value inside `value`, including the containers. */
function paths(value: unknown, prefix: Key[] = []): Key[][] {
  if (typeof value !== 'object' || value === null) return [];
  const entries: [Key, unknown][] = Array.isArray(value)
    ? value.map((item, i) => [i, item])
    : Object.entries(value as Record<string, unknown>);
  return entries.flatMap(([key, child]) => [[...prefix, key], ...paths(child, [...prefix, key])]);
}

/** Replacement values near the edges of what the validators and schemas accept. */
const edgeValue = fc.oneof(
  fc.constantFrom<unknown>(
    undefined,
    null,
    0,
    1,
    -1,
    65535,
    65536,
    2147483647,
    2147483648,
    1.5,
    '',
    'a',
    'ServiceAccount',
    'HTTPRouteGroup',
    'TCPRoute',
    'UDPRoute',
    'specs.smi-spec.io',
    'GET',
    'get',
    '*',
    '.*',
    '(?=x)',
    'orders',
    'Orders',
    [],
    {},
    [{}],
    ['GET'],
    [80],
    { 'x-user': 'a.*' },
    [{ 'x-user': 'a' }],
    { ports: [] },
    { service: 'b', weight: 1 },
  ),
  fc.jsonValue({ maxDepth: 2 }),
);

const mutated = fc
  .tuple(
    fc.constantFrom(...SMI_EXAMPLES),
    fc.array(fc.tuple(fc.nat(), edgeValue), { minLength: 1, maxLength: 3 }),
  )
  .map(([example, changes]) => {
    let object: unknown = example.object;
    for (const [pick, value] of changes) {
      const all = paths(object);
      const path = all[pick % all.length];
      if (path !== undefined) object = withField(object, path, value);
    }
    return { key: `${example.apiVersion} ${example.kind}`, object };
  });

function check(key: string, object: unknown): boolean {
  const [apiVersion, kind] = key.split(' ');
  const type = findSmiResourceType(apiVersion, kind);
  const schema = schemaFor.get(key);
  if (type === undefined || schema === undefined) throw new Error(`no validator or schema for ${key}`);
  const accepted = type.validate(object).ok;
  if (accepted && !schema(object)) {
    throw new Error(`validator accepted what the schema rejects: ${ajv.errorsText(schema.errors)}`);
  }
  return accepted;
}

describe('CRD schemas against validators', () => {
  it.each(SMI_EXAMPLES.map((e) => [`${e.apiVersion} ${e.kind}`, e.object] as const))(
    'accept the example of %s, as the validator does',
    (key, object) => {
      expect(check(key, object)).toBe(true);
      expect(schemaFor.get(key)?.(object)).toBe(true);
    },
  );

  it('reject nothing a validator accepts, over many mutated examples', () => {
    let accepted = 0;
    fc.assert(
      fc.property(mutated, ({ key, object }) => {
        if (check(key, object)) accepted += 1;
      }),
      { numRuns: 3000 },
    );
    // The mutations must reach both sides of the line to prove anything. About 1 in 25 is accepted (~120 of
    // 3000); the bound is far below that so the random mix never fails it by chance.
    expect(accepted).toBeGreaterThan(25);
  });
});
