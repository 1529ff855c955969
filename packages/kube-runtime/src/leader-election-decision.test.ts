import { describe, expect, it } from 'vitest';
import { decideLease, releasedRecord } from './leader-election-decision.js';
import type { LeaseRecord } from './lease.js';

const held = (holder: string, extra: Partial<LeaseRecord> = {}): LeaseRecord => ({
  holderIdentity: holder,
  leaseDurationSeconds: 15,
  acquireTimeMs: 100,
  renewTimeMs: 200,
  leaseTransitions: 3,
  resourceVersion: '9',
  ...extra,
});

const base = { identity: 'me', observedAtMs: 1_000, nowMs: 1_000, leaseDurationSeconds: 15 };

describe('decideLease', () => {
  it('creates a missing lease', () => {
    expect(decideLease({ ...base, observed: undefined })).toEqual({
      action: 'create',
      record: {
        holderIdentity: 'me',
        leaseDurationSeconds: 15,
        acquireTimeMs: 1_000,
        renewTimeMs: 1_000,
        leaseTransitions: 0,
      },
    });
  });

  it('waits while another holder is within its lease duration of our observation', () => {
    expect(decideLease({ ...base, observed: held('other'), nowMs: 15_999 })).toEqual({
      action: 'wait',
      holder: 'other',
    });
  });

  it('takes an expired lease, bumping transitions and carrying the read resourceVersion', () => {
    const decision = decideLease({ ...base, observed: held('other'), nowMs: 16_000 });
    expect(decision).toEqual({
      action: 'update',
      record: {
        holderIdentity: 'me',
        leaseDurationSeconds: 15,
        acquireTimeMs: 16_000,
        renewTimeMs: 16_000,
        leaseTransitions: 4,
        resourceVersion: '9',
      },
    });
  });

  it('takes a released lease at once', () => {
    const decision = decideLease({ ...base, observed: held('') });
    expect(decision.action).toBe('update');
  });

  it('renews its own lease keeping acquireTime and transitions', () => {
    const decision = decideLease({ ...base, observed: held('me'), nowMs: 5_000 });
    expect(decision).toMatchObject({
      action: 'update',
      record: { acquireTimeMs: 100, renewTimeMs: 5_000, leaseTransitions: 3 },
    });
  });

  it('judges expiry by the lease duration written in the lease', () => {
    const observed = held('other', { leaseDurationSeconds: 60 });
    expect(decideLease({ ...base, observed, nowMs: 30_000 }).action).toBe('wait');
  });

  it('a released record has no holder and a short duration', () => {
    expect(releasedRecord(held('me'), 7)).toMatchObject({
      holderIdentity: '',
      leaseDurationSeconds: 1,
      renewTimeMs: 7,
    });
  });
});
