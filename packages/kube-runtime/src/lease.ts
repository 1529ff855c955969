/**
 * The parts of a coordination.k8s.io/v1 Lease that leader election reads and writes, in domain form
 * (times as epoch milliseconds).
 */
export interface LeaseRecord {
  /** Who holds the lease; '' or undefined when nobody does (a released lease). */
  readonly holderIdentity: string | undefined;
  readonly leaseDurationSeconds: number;
  readonly acquireTimeMs: number | undefined;
  readonly renewTimeMs: number | undefined;
  readonly leaseTransitions: number;
  /** For optimistic concurrency: a replace carries the version it read. */
  readonly resourceVersion?: string | undefined;
}

/** Thrown by a LeaseClient when a create or replace lost a race (HTTP 409): not an error, just someone else. */
export class LeaseConflictError extends Error {
  readonly code = 'LEASE_CONFLICT';
  constructor(message = 'lease was changed by someone else') {
    super(message);
    this.name = 'LeaseConflictError';
  }
}

/** The three Lease calls leader election needs; small so the logic is tested with an in-memory fake. */
export interface LeaseClient {
  /** The lease, or undefined when it does not exist (404). */
  get(namespace: string, name: string): Promise<LeaseRecord | undefined>;
  /** Creates the lease; throws LeaseConflictError when it already exists. */
  create(namespace: string, name: string, record: LeaseRecord): Promise<LeaseRecord>;
  /** Replaces the lease if `record.resourceVersion` still matches; throws LeaseConflictError otherwise. */
  replace(namespace: string, name: string, record: LeaseRecord): Promise<LeaseRecord>;
}

/** An in-memory LeaseClient with real resourceVersion semantics, for tests (several electors may share one). */
export class InMemoryLeaseClient implements LeaseClient {
  private readonly leases = new Map<string, LeaseRecord>();
  private version = 0;

  async get(namespace: string, name: string): Promise<LeaseRecord | undefined> {
    return this.leases.get(`${namespace}/${name}`);
  }

  async create(namespace: string, name: string, record: LeaseRecord): Promise<LeaseRecord> {
    const key = `${namespace}/${name}`;
    if (this.leases.has(key)) throw new LeaseConflictError(`lease ${key} already exists`);
    return this.store(key, record);
  }

  async replace(namespace: string, name: string, record: LeaseRecord): Promise<LeaseRecord> {
    const key = `${namespace}/${name}`;
    const existing = this.leases.get(key);
    if (existing === undefined) throw new Error(`lease ${key} not found`);
    if (record.resourceVersion !== undefined && record.resourceVersion !== existing.resourceVersion) {
      throw new LeaseConflictError(`lease ${key} was modified`);
    }
    return this.store(key, record);
  }

  private store(key: string, record: LeaseRecord): LeaseRecord {
    const stored = { ...record, resourceVersion: String(++this.version) };
    this.leases.set(key, stored);
    return stored;
  }
}
