import { describe, expect, it } from 'vitest';
import { wantsColor } from './terminal.js';

describe('wantsColor', () => {
  it('colours a terminal only, honouring NO_COLOR, FORCE_COLOR and TERM=dumb', () => {
    expect(wantsColor(true, {})).toBe(true);
    expect(wantsColor(false, {})).toBe(false);
    expect(wantsColor(undefined, { CI: 'true' })).toBe(false);
    expect(wantsColor(true, { NO_COLOR: '1' })).toBe(false);
    expect(wantsColor(true, { TERM: 'dumb' })).toBe(false);
    expect(wantsColor(false, { FORCE_COLOR: '1' })).toBe(true);
    expect(wantsColor(false, { FORCE_COLOR: '0' })).toBe(false);
  });
});
