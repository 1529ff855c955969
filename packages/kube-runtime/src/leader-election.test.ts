import { describe, expect, it } from 'vitest';
import { LeaderElector } from './leader-election.js';
import { InMemoryLeaseClient, type LeaseClient, LeaseConflictError, type LeaseRecord } from './lease.js';
import { ManualClock } from './manual-clock.js';

function candidate(identity: string, client: LeaseClient, clock: ManualClock, events: string[]) {
  return new LeaderElector({
    namespace: 'nodemesh',
    name: 'dns-controller',
    identity,
    client,
    clock,
    onStartedLeading: () => events.push(`${identity}:started`),
    onStoppedLeading: () => events.push(`${identity}:stopped`),
    onNewLeader: (leader) => events.push(`${identity}:leader=${leader}`),
  });
}

/** A LeaseClient whose calls can be made to fail, wrapping an in-memory one. */
class FlakyLeaseClient implements LeaseClient {
  failing = false;
  constructor(private readonly inner: LeaseClient) {}
  get(namespace: string, name: string) {
    return this.failing ? Promise.reject(new Error('connection refused')) : this.inner.get(namespace, name);
  }
  create(namespace: string, name: string, record: LeaseRecord) {
    return this.failing
      ? Promise.reject(new Error('connection refused'))
      : this.inner.create(namespace, name, record);
  }
  replace(namespace: string, name: string, record: LeaseRecord) {
    return this.failing
      ? Promise.reject(new Error('connection refused'))
      : this.inner.replace(namespace, name, record);
  }
}

describe('LeaderElector', () => {
  it('acquires a free lease, and a second candidate observes it', async () => {
    const clock = new ManualClock(1_000);
    const client = new InMemoryLeaseClient();
    const events: string[] = [];
    const a = candidate('a', client, clock, events);
    const b = candidate('b', client, clock, events);
    a.start();
    await clock.advance(0);
    b.start();
    await clock.advance(10_000);
    expect(a.isLeader()).toBe(true);
    expect(b.isLeader()).toBe(false);
    expect(b.leader()).toBe('a');
    expect(events).toEqual(['a:leader=a', 'a:started', 'b:leader=a']);
    await a.stop();
    await b.stop();
  });

  it('fails over at once when the leader stops cleanly', async () => {
    const clock = new ManualClock(1_000);
    const client = new InMemoryLeaseClient();
    const events: string[] = [];
    const a = candidate('a', client, clock, events);
    const b = candidate('b', client, clock, events);
    a.start();
    await clock.advance(0);
    b.start();
    await clock.advance(4_000);
    await a.stop();
    expect((await client.get('nodemesh', 'dns-controller'))?.holderIdentity).toBe('');
    await clock.advance(2_000); // one retry period
    expect(b.isLeader()).toBe(true);
    expect(events).toContain('a:stopped');
    expect(events.at(-1)).toBe('b:started');
    await b.stop();
  });

  it('takes over within a lease duration when the leader dies without releasing', async () => {
    const clock = new ManualClock(1_000);
    const client = new InMemoryLeaseClient();
    const events: string[] = [];
    const dying = new FlakyLeaseClient(client);
    const a = candidate('a', dying, clock, events);
    const b = candidate('b', client, clock, events);
    a.start();
    await clock.advance(0);
    b.start();
    await clock.advance(1_000);
    dying.failing = true; // a can no longer reach the API server: it cannot renew.
    await clock.advance(14_000);
    expect(b.isLeader()).toBe(false);
    await clock.advance(4_000);
    expect(b.isLeader()).toBe(true);
    // a stepped down by itself once its renew deadline passed.
    expect(a.isLeader()).toBe(false);
    expect(events.indexOf('a:stopped')).toBeLessThan(events.indexOf('b:started'));
    await a.stop();
    await b.stop();
  });

  it('keeps leading through failures shorter than the renew deadline', async () => {
    const clock = new ManualClock(1_000);
    const flaky = new FlakyLeaseClient(new InMemoryLeaseClient());
    const events: string[] = [];
    const a = candidate('a', flaky, clock, events);
    a.start();
    await clock.advance(0);
    flaky.failing = true;
    await clock.advance(8_000);
    expect(a.isLeader()).toBe(true);
    flaky.failing = false;
    await clock.advance(2_000);
    expect(a.isLeader()).toBe(true);
    expect(events).toEqual(['a:leader=a', 'a:started']);
    await a.stop();
  });

  it('treats a 409 as a lost race, not a leader', async () => {
    const clock = new ManualClock(1_000);
    const inner = new InMemoryLeaseClient();
    let raced = false;
    const racing: LeaseClient = {
      get: (ns, n) => inner.get(ns, n),
      create: async (ns, n, record) => {
        // Another candidate creates the lease between our get and our create.
        if (!raced) {
          raced = true;
          await inner.create(ns, n, { ...record, holderIdentity: 'b' });
          throw new LeaseConflictError();
        }
        return inner.create(ns, n, record);
      },
      replace: (ns, n, record) => inner.replace(ns, n, record),
    };
    const events: string[] = [];
    const a = candidate('a', racing, clock, events);
    a.start();
    await clock.advance(2_000);
    expect(a.isLeader()).toBe(false);
    expect(a.leader()).toBe('b');
    await a.stop();
  });

  it('survives callbacks that throw', async () => {
    const clock = new ManualClock(1_000);
    const elector = new LeaderElector({
      namespace: 'nodemesh',
      name: 'x',
      identity: 'a',
      client: new InMemoryLeaseClient(),
      clock,
      onStartedLeading: () => {
        throw new Error('callback bug');
      },
    });
    elector.start();
    await clock.advance(5_000);
    expect(elector.isLeader()).toBe(true);
    await elector.stop();
  });

  it('rejects timings where the renew deadline is not inside the lease duration', () => {
    expect(
      () =>
        new LeaderElector({
          namespace: 'n',
          name: 'x',
          identity: 'a',
          client: new InMemoryLeaseClient(),
          leaseDurationMs: 5_000,
          renewDeadlineMs: 10_000,
        }),
    ).toThrow(/leaseDurationMs > renewDeadlineMs/);
  });
});
