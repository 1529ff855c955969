import type { LeaseRecord } from './lease.js';

/** What a candidate should do after reading the lease. */
export type LeaseDecision =
  | { readonly action: 'create'; readonly record: LeaseRecord }
  | { readonly action: 'update'; readonly record: LeaseRecord }
  | { readonly action: 'wait'; readonly holder: string };

export interface LeaseDecisionInput {
  readonly identity: string;
  /** The lease as read, or undefined if it does not exist. */
  readonly observed: LeaseRecord | undefined;
  /**
   * When this candidate, by its own clock, first saw the lease in its current state. Expiry is judged from
   * this, never from the holder's renewTime, so clock skew between nodes does not matter.
   */
  readonly observedAtMs: number;
  readonly nowMs: number;
  readonly leaseDurationSeconds: number;
}

/**
 * Decides between taking (create, acquire, renew: all an `update` of the record) and waiting. The lease is
 * free when nobody holds it or its holder has not renewed it for a whole lease duration since we saw it.
 */
export function decideLease(input: LeaseDecisionInput): LeaseDecision {
  const { identity, observed, nowMs, leaseDurationSeconds } = input;
  if (observed === undefined) {
    return {
      action: 'create',
      record: {
        holderIdentity: identity,
        leaseDurationSeconds,
        acquireTimeMs: nowMs,
        renewTimeMs: nowMs,
        leaseTransitions: 0,
      },
    };
  }
  const holder = observed.holderIdentity ?? '';
  const heldByUs = holder === identity;
  const durationMs =
    (observed.leaseDurationSeconds > 0 ? observed.leaseDurationSeconds : leaseDurationSeconds) * 1000;
  const expired = input.observedAtMs + durationMs <= nowMs;
  if (holder !== '' && !heldByUs && !expired) return { action: 'wait', holder };
  return {
    action: 'update',
    record: {
      holderIdentity: identity,
      leaseDurationSeconds,
      acquireTimeMs: heldByUs ? (observed.acquireTimeMs ?? nowMs) : nowMs,
      renewTimeMs: nowMs,
      leaseTransitions: heldByUs ? observed.leaseTransitions : observed.leaseTransitions + 1,
      resourceVersion: observed.resourceVersion,
    },
  };
}

/** The record written on a clean stop so another candidate can take over at once. */
export function releasedRecord(held: LeaseRecord, nowMs: number): LeaseRecord {
  return { ...held, holderIdentity: '', leaseDurationSeconds: 1, renewTimeMs: nowMs };
}

/** Whether two reads show the same lease state (used to restart the expiry clock when the holder renews). */
export function sameLeaseState(a: LeaseRecord | undefined, b: LeaseRecord | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  if (a.resourceVersion !== undefined && b.resourceVersion !== undefined) {
    return a.resourceVersion === b.resourceVersion;
  }
  return a.holderIdentity === b.holderIdentity && a.renewTimeMs === b.renewTimeMs;
}
