import { type Clock, systemClock, type TimerHandle } from './clock.js';
import { decideLease, releasedRecord, sameLeaseState } from './leader-election-decision.js';
import { type LeaseClient, LeaseConflictError, type LeaseRecord } from './lease.js';
import { type Logger, silentLogger } from './logger.js';

export interface LeaderElectionOptions {
  /** The Lease object (coordination.k8s.io/v1) that the candidates compete for. */
  readonly namespace: string;
  readonly name: string;
  /** This candidate; the pod name is a good choice. Must be unique among candidates. */
  readonly identity: string;
  readonly client: LeaseClient;
  /** How long a lease stays valid without renewal; candidates wait this long before taking it. Default 15 s. */
  readonly leaseDurationMs?: number;
  /** The leader steps down if it could not renew for this long. Default 10 s. */
  readonly renewDeadlineMs?: number;
  /** Time between attempts to acquire or renew. Default 2 s. */
  readonly retryPeriodMs?: number;
  readonly clock?: Clock;
  readonly logger?: Logger;
  readonly onStartedLeading?: () => void;
  readonly onStoppedLeading?: () => void;
  /** Called whenever the observed holder changes, including to this candidate. */
  readonly onNewLeader?: (identity: string) => void;
}

type Attempt = 'leading' | 'other-holder' | 'failed';

/**
 * Leader election on a Lease. Candidates poll the lease every retry period; a free or expired lease is taken
 * with an optimistic-concurrency replace (a 409 means another candidate won); the leader renews every retry
 * period and steps down when it cannot renew within the renew deadline. `stop()` releases the lease so a
 * standby takes over at its next attempt; if the leader dies instead, takeover happens within a lease duration.
 */
export class LeaderElector {
  private readonly options: LeaderElectionOptions;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly leaseDurationMs: number;
  private readonly renewDeadlineMs: number;
  private readonly retryPeriodMs: number;
  private started = false;
  private stopped = false;
  private leading = false;
  private timer: TimerHandle | undefined;
  private inFlight: Promise<void> | undefined;
  private observed: LeaseRecord | undefined;
  private observedAtMs = 0;
  private observedHolder: string | undefined;
  private held: LeaseRecord | undefined;
  private lastRenewMs = 0;

  constructor(options: LeaderElectionOptions) {
    this.options = options;
    this.clock = options.clock ?? systemClock;
    this.logger = (options.logger ?? silentLogger).child({ lease: `${options.namespace}/${options.name}` });
    this.leaseDurationMs = options.leaseDurationMs ?? 15_000;
    this.renewDeadlineMs = options.renewDeadlineMs ?? 10_000;
    this.retryPeriodMs = options.retryPeriodMs ?? 2_000;
    if (!(this.leaseDurationMs > this.renewDeadlineMs && this.renewDeadlineMs > this.retryPeriodMs)) {
      throw new Error(
        `leader election: need leaseDurationMs > renewDeadlineMs > retryPeriodMs > 0, got ${this.leaseDurationMs}, ${this.renewDeadlineMs}, ${this.retryPeriodMs}`,
      );
    }
    if (!(this.retryPeriodMs > 0)) throw new Error('leader election: retryPeriodMs must be positive');
    if (options.identity === '') throw new Error('leader election: identity must not be empty');
  }

  /** Begins competing for the lease; the first attempt is immediate. */
  start(): void {
    if (this.started || this.stopped) return;
    this.started = true;
    this.schedule(0);
  }

  isLeader(): boolean {
    return this.leading;
  }

  /** The holder last observed, if any. */
  leader(): string | undefined {
    return this.observedHolder;
  }

  /** Stops competing; a leader releases the lease and calls onStoppedLeading. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    await this.inFlight;
    if (!this.leading) return;
    const held = this.held;
    if (held !== undefined) {
      try {
        await this.options.client.replace(
          this.options.namespace,
          this.options.name,
          releasedRecord(held, this.clock.now()),
        );
        this.logger.info('released the lease', { identity: this.options.identity });
      } catch (error) {
        this.logger.warn('could not release the lease; a standby takes over when it expires', { error });
      }
    }
    this.stepDown();
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined;
      this.inFlight = this.tick().finally(() => {
        this.inFlight = undefined;
      });
    }, delayMs);
  }

  private async tick(): Promise<void> {
    const attempt = await this.attempt();
    if (this.stopped) return;
    const now = this.clock.now();
    if (attempt === 'leading') {
      this.lastRenewMs = now;
      if (!this.leading) {
        this.leading = true;
        this.logger.info('became the leader', { identity: this.options.identity });
        this.call('onStartedLeading', this.options.onStartedLeading);
      }
    } else if (
      this.leading &&
      (attempt === 'other-holder' || now - this.lastRenewMs >= this.renewDeadlineMs)
    ) {
      this.logger.warn('lost the lease', { identity: this.options.identity, reason: attempt });
      this.stepDown();
    }
    this.schedule(this.retryPeriodMs);
  }

  /** One read-decide-write round. Never throws. */
  private async attempt(): Promise<Attempt> {
    const { client, namespace, name, identity } = this.options;
    try {
      const current = await client.get(namespace, name);
      const now = this.clock.now();
      if (!sameLeaseState(current, this.observed)) {
        this.observed = current;
        this.observedAtMs = now;
      }
      if (current?.holderIdentity) this.noteHolder(current.holderIdentity);
      const decision = decideLease({
        identity,
        observed: current,
        observedAtMs: this.observedAtMs,
        nowMs: now,
        leaseDurationSeconds: Math.ceil(this.leaseDurationMs / 1000),
      });
      if (decision.action === 'wait') return 'other-holder';
      const written =
        decision.action === 'create'
          ? await client.create(namespace, name, decision.record)
          : await client.replace(namespace, name, decision.record);
      this.held = written;
      this.observed = written;
      this.observedAtMs = this.clock.now();
      this.noteHolder(identity);
      return 'leading';
    } catch (error) {
      if (error instanceof LeaseConflictError) {
        this.logger.debug('lost a race for the lease', { identity });
      } else {
        this.logger.warn('lease request failed', { error });
      }
      return 'failed';
    }
  }

  private noteHolder(holder: string): void {
    if (holder === this.observedHolder) return;
    this.observedHolder = holder;
    this.call('onNewLeader', this.options.onNewLeader, holder);
  }

  private stepDown(): void {
    if (!this.leading) return;
    this.leading = false;
    this.held = undefined;
    this.call('onStoppedLeading', this.options.onStoppedLeading);
  }

  private call<A extends unknown[]>(label: string, fn: ((...args: A) => void) | undefined, ...args: A): void {
    try {
      fn?.(...args);
    } catch (error) {
      this.logger.error(`${label} callback threw`, { error });
    }
  }
}
