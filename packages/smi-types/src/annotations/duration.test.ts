import { describe, expect, it } from 'vitest';
import { parseDuration } from './duration.js';

describe('parseDuration', () => {
  it.each([
    ['500ms', 500],
    ['2s', 2000],
    ['1m30s', 90_000],
    ['1h', 3_600_000],
    ['1.5h', 5_400_000],
    ['1.1s', 1100],
    ['.5s', 500],
    ['3.s', 3000],
    ['500us', 0.5],
    ['500µs', 0.5],
    ['250000ns', 0.25],
    ['1h1m1s1ms', 3_661_001],
    ['0', 0],
    ['0s', 0],
  ])('reads %s as %s ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each([
    '',
    '5',
    '10 s',
    's',
    '.s',
    '-1s',
    '+1s',
    '1d',
    '1S',
    '1s ',
    '1.2.3s',
    'ms',
    `${'9'.repeat(30)}h`,
    `${'1s'.repeat(40)}`,
  ])('rejects %j', (text) => {
    expect(parseDuration(text)).toBeUndefined();
  });

  it('rejects values that are not strings without throwing', () => {
    expect(parseDuration(5 as unknown as string)).toBeUndefined();
  });
});
