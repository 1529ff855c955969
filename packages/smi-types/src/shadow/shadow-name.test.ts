import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { shadowServiceName } from './shadow-name.js';

const DNS_1035 = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;

/** Kubernetes namespace and Service names: DNS labels of 1..63 characters. */
const dnsLabel = fc.stringMatching(/^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/).filter((s) => s.length <= 63);
const maxLabel = fc.stringMatching(/^[a-z][-a-z0-9]{61}[a-z0-9]$/);
/** Anything at all: the function must stay safe for input no API server would send. */
const anyText = fc.string({ unit: 'binary', maxLength: 80 });
const pair = fc.oneof(fc.tuple(dnsLabel, dnsLabel), fc.tuple(maxLabel, maxLabel), fc.tuple(anyText, anyText));

describe('shadowServiceName', () => {
  it('is a DNS-1035 label of at most 63 characters, whatever the input', () => {
    fc.assert(
      fc.property(pair, ([namespace, name]) => {
        const shadow = shadowServiceName(namespace, name);
        expect(shadow.length).toBeLessThanOrEqual(63);
        expect(shadow).toMatch(DNS_1035);
      }),
      { numRuns: 2000 },
    );
  });

  it('is deterministic', () => {
    fc.assert(
      fc.property(pair, ([namespace, name]) => {
        expect(shadowServiceName(namespace, name)).toBe(shadowServiceName(`${namespace}`, `${name}`));
      }),
    );
    expect(shadowServiceName('shop', 'orders')).toBe(shadowServiceName('shop', 'orders'));
  });

  it('keeps a readable prefix', () => {
    expect(shadowServiceName('shop', 'orders')).toMatch(/^shop-orders-[0-9a-f]{16}$/);
    expect(shadowServiceName('1ns', 'svc')).toMatch(/^ns-svc-[0-9a-f]{16}$/);
    expect(shadowServiceName('', '')).toMatch(/^shadow-[0-9a-f]{16}$/);
  });

  it('gives distinct names to adversarial near-duplicates', () => {
    const long = 'a'.repeat(63);
    const pairs: [string, string][] = [
      ['a-b', 'c'],
      ['a', 'b-c'],
      ['a', 'b'],
      ['b', 'a'],
      ['a-b-c', ''],
      ['', 'a-b-c'],
      ['A', 'b'],
      [long, long],
      [long, `${'a'.repeat(62)}b`],
      [`${'a'.repeat(62)}b`, long],
      [long, `${long.slice(1)}-`],
      ['["a"', 'b"]'],
      ['a","b', ''],
    ];
    const names = new Set(pairs.map(([ns, n]) => shadowServiceName(ns, n)));
    expect(names.size).toBe(pairs.length);
  });

  it('has no collisions among many random pairs, near-duplicates included', () => {
    // Near-duplicates: pairs that share a prefix and differ in one character or in where the split falls.
    const nearDuplicates = fc
      .tuple(maxLabel, fc.nat(62), fc.constantFrom('a', 'b', '-', '0'))
      .chain(([s, at, c]) =>
        fc.constantFrom<[string, string]>(
          [s.slice(0, at + 1), s.slice(at + 1) || 'x'],
          [s, `${s.slice(0, at)}${c}${s.slice(at + 1)}`.replace(/-$/, 'z')],
          [`${s.slice(0, at)}${c}${s.slice(at + 1)}`.replace(/-$/, 'z'), s],
        ),
      );
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.oneof(pair, nearDuplicates), {
          minLength: 200,
          maxLength: 400,
          selector: ([a, b]) => JSON.stringify([a, b]),
        }),
        (pairs) => {
          const names = new Set(pairs.map(([ns, n]) => shadowServiceName(ns, n)));
          expect(names.size).toBe(pairs.length);
        },
      ),
      { numRuns: 50 },
    );
  });
});
