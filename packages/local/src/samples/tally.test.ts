import { describe, expect, it } from 'vitest';
import { formatTally, type Tally, tallyOutcome } from './tally.js';

const empty: Tally = { byStore: {}, refused: 0, errors: 0 };

describe('book caller tally', () => {
  it('counts answers by store, refusals and errors', () => {
    const outcomes = [
      '200 {"store":"bookstore-v1","sold":1}',
      '200 {"store":"bookstore-v1","sold":2}',
      '200 {"store":"bookstore-v2","sold":1}',
      '200 {"store":"bookstore-v1","sold":3}',
      '403 denied by access control',
      '429 rate limited',
      '502 no endpoint',
      'error connect ECONNREFUSED',
      '200 not json',
    ];
    const tally = outcomes.reduce(tallyOutcome, empty);
    expect(tally).toEqual({
      byStore: { 'bookstore-v1': 3, 'bookstore-v2': 1, unknown: 1 },
      refused: 2,
      errors: 2,
    });
    expect(formatTally(tally)).toBe(
      'bookstore-v1 3 (60%), bookstore-v2 1 (20%), unknown 1 (20%), refused 2, errors 2',
    );
  });

  it('formats an empty tally', () => {
    expect(formatTally(empty)).toBe('refused 0, errors 0');
  });
});
