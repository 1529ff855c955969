import { type Clock, systemClock } from './clock.js';
import { type Logger, silentLogger } from './logger.js';

/** The object an Event is about. */
export interface ObjectReference {
  readonly apiVersion?: string;
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
  readonly uid?: string;
}

export type EventType = 'Normal' | 'Warning';

/** A core/v1 Event in domain form (timestamps as epoch milliseconds). */
export interface EventRecord {
  /** The Event object's own name; unique per distinct event. */
  readonly name: string;
  readonly namespace: string;
  readonly involvedObject: ObjectReference;
  readonly type: EventType;
  /** UpperCamelCase, machine-readable (`InvalidAnnotation`). */
  readonly reason: string;
  readonly message: string;
  readonly count: number;
  readonly firstTimestampMs: number;
  readonly lastTimestampMs: number;
  /** The reporting component (`nodemesh-dns-controller`). */
  readonly component: string;
  readonly host?: string;
}

/** Where events go: create a new Event, or overwrite an existing one with a bumped count. */
export interface EventSink {
  create(event: EventRecord): Promise<void>;
  update(event: EventRecord): Promise<void>;
}

export interface EventRecorderOptions {
  readonly sink: EventSink;
  readonly component: string;
  readonly host?: string;
  readonly clock?: Clock;
  readonly logger?: Logger;
  /** Events per involved object allowed in a burst. Default 25. */
  readonly burst?: number;
  /** One more event per object is allowed after this long, in milliseconds. Default 5 minutes. */
  readonly refillIntervalMs?: number;
  /** How many distinct events are remembered for deduplication. Default 4096. */
  readonly cacheSize?: number;
  /** Messages are truncated to this many characters (the API server limits them). Default 1024. */
  readonly maxMessageLength?: number;
}

interface Bucket {
  tokens: number;
  refilledAtMs: number;
}

/**
 * Records Kubernetes Events about objects, e.g. a Warning `InvalidAnnotation` on a Service. Repeats of the same
 * event (same object, type, reason, message) bump `count` and `lastTimestamp` of the existing Event instead of
 * creating another; each object has a token-bucket rate limit so a hot loop cannot flood the API server.
 * `record()` never throws and never waits: failures are logged and dropped.
 */
export class EventRecorder {
  private readonly options: EventRecorderOptions;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly seen = new Map<string, EventRecord>();
  private readonly buckets = new Map<string, Bucket>();
  private queue: Promise<void> = Promise.resolve();
  private sequence = 0;

  constructor(options: EventRecorderOptions) {
    this.options = options;
    this.clock = options.clock ?? systemClock;
    this.logger = (options.logger ?? silentLogger).child({ recorder: 'events' });
  }

  record(object: ObjectReference, type: EventType, reason: string, message: string): void {
    try {
      this.enqueue(object, type, reason, message);
    } catch (error) {
      this.logger.warn('could not record an event', { error, reason });
    }
  }

  /** Resolves once every event recorded so far has been written (or failed); for tests and shutdown. */
  flush(): Promise<void> {
    return this.queue;
  }

  private enqueue(object: ObjectReference, type: EventType, reason: string, rawMessage: string): void {
    const now = this.clock.now();
    const objectKey = `${object.kind}/${object.namespace}/${object.name}/${object.uid ?? ''}`;
    if (!this.takeToken(objectKey, now)) {
      this.logger.debug('event rate-limited', { object: objectKey, reason });
      return;
    }
    const limit = this.options.maxMessageLength ?? 1024;
    const message = rawMessage.length > limit ? `${rawMessage.slice(0, limit - 3)}...` : rawMessage;
    const key = `${objectKey}\u0000${type}\u0000${reason}\u0000${message}`;
    const previous = this.seen.get(key);
    const event: EventRecord =
      previous === undefined
        ? {
            name: this.eventName(object.name, now),
            namespace: object.namespace,
            involvedObject: object,
            type,
            reason,
            message,
            count: 1,
            firstTimestampMs: now,
            lastTimestampMs: now,
            component: this.options.component,
            ...(this.options.host === undefined ? {} : { host: this.options.host }),
          }
        : { ...previous, count: previous.count + 1, lastTimestampMs: now };
    this.remember(key, event);
    const write =
      previous === undefined ? () => this.options.sink.create(event) : () => this.update(key, event);
    // Writes are serialized so an update never overtakes the create of the same Event.
    this.queue = this.queue.then(write).catch((error: unknown) => {
      this.seen.delete(key);
      this.logger.warn('could not write an event', { error, reason, object: objectKey });
    });
  }

  /** Bumps an existing Event; if it is gone (Events expire after an hour), creates it anew. */
  private async update(key: string, event: EventRecord): Promise<void> {
    try {
      await this.options.sink.update(event);
    } catch (error) {
      this.logger.debug('event update failed; creating it again', { error });
      const fresh = { ...event, count: 1, firstTimestampMs: event.lastTimestampMs };
      this.remember(key, fresh);
      await this.options.sink.create(fresh);
    }
  }

  /** `<object>.<hex time><hex sequence>`, like the Events kubectl shows; kept under the 253-character limit. */
  private eventName(objectName: string, now: number): string {
    const suffix = `${now.toString(16)}${(this.sequence++ % 4096).toString(16).padStart(3, '0')}`;
    return `${objectName.slice(0, 200)}.${suffix}`;
  }

  private remember(key: string, event: EventRecord): void {
    this.seen.delete(key);
    this.seen.set(key, event);
    const max = this.options.cacheSize ?? 4096;
    while (this.seen.size > max) {
      const oldest = this.seen.keys().next().value;
      if (oldest === undefined) break;
      this.seen.delete(oldest);
    }
  }

  private takeToken(objectKey: string, now: number): boolean {
    const burst = this.options.burst ?? 25;
    const refill = this.options.refillIntervalMs ?? 300_000;
    const bucket = this.buckets.get(objectKey) ?? { tokens: burst, refilledAtMs: now };
    const earned = refill > 0 ? Math.floor((now - bucket.refilledAtMs) / refill) : burst;
    if (earned > 0) {
      bucket.tokens = Math.min(burst, bucket.tokens + earned);
      bucket.refilledAtMs = bucket.tokens === burst ? now : bucket.refilledAtMs + earned * refill;
    }
    this.buckets.set(objectKey, bucket);
    if (bucket.tokens < 1) return false;
    bucket.tokens--;
    if (this.buckets.size > (this.options.cacheSize ?? 4096)) {
      const oldest = this.buckets.keys().next().value;
      if (oldest !== undefined && oldest !== objectKey) this.buckets.delete(oldest);
    }
    return true;
  }
}
