import { describe, expect, it } from 'vitest';
import { type EventRecord, EventRecorder, type EventSink, type ObjectReference } from './event-recorder.js';
import { createLogger } from './logger.js';
import { ManualClock } from './manual-clock.js';

class MemorySink implements EventSink {
  readonly calls: Array<{ op: 'create' | 'update'; event: EventRecord }> = [];
  readonly stored = new Map<string, EventRecord>();
  failCreates = 0;
  async create(event: EventRecord): Promise<void> {
    this.calls.push({ op: 'create', event });
    if (this.failCreates > 0) {
      this.failCreates--;
      throw new Error('forbidden');
    }
    this.stored.set(event.name, event);
  }
  async update(event: EventRecord): Promise<void> {
    this.calls.push({ op: 'update', event });
    if (!this.stored.has(event.name)) throw new Error('not found');
    this.stored.set(event.name, event);
  }
}

const service: ObjectReference = {
  apiVersion: 'v1',
  kind: 'Service',
  namespace: 'demo',
  name: 'web',
  uid: 'u1',
};

function setup(options: { burst?: number; refillIntervalMs?: number } = {}) {
  const clock = new ManualClock(1_700_000_000_000);
  const sink = new MemorySink();
  const logs: string[] = [];
  const recorder = new EventRecorder({
    sink,
    component: 'nodemesh-dns-controller',
    clock,
    logger: createLogger({ component: 'test', write: (line) => logs.push(line) }),
    ...options,
  });
  return { clock, sink, recorder, logs };
}

describe('EventRecorder', () => {
  it('creates an Event about the object', async () => {
    const { sink, recorder } = setup();
    recorder.record(
      service,
      'Warning',
      'InvalidAnnotation',
      'nodemesh.io/retries: must be an integer, got "x"',
    );
    await recorder.flush();
    expect(sink.calls).toHaveLength(1);
    expect(sink.calls[0]?.event).toMatchObject({
      namespace: 'demo',
      involvedObject: service,
      type: 'Warning',
      reason: 'InvalidAnnotation',
      count: 1,
      component: 'nodemesh-dns-controller',
    });
  });

  it('bumps count and lastTimestamp of a repeated event instead of creating another', async () => {
    const { clock, sink, recorder } = setup();
    recorder.record(service, 'Warning', 'InvalidAnnotation', 'bad');
    await clock.advance(5_000);
    recorder.record(service, 'Warning', 'InvalidAnnotation', 'bad');
    recorder.record(service, 'Warning', 'InvalidAnnotation', 'bad');
    await recorder.flush();
    expect(sink.calls.map((call) => call.op)).toEqual(['create', 'update', 'update']);
    const [stored] = [...sink.stored.values()];
    expect(stored).toMatchObject({
      count: 3,
      firstTimestampMs: 1_700_000_000_000,
      lastTimestampMs: 1_700_000_005_000,
    });
    expect(sink.stored.size).toBe(1);
  });

  it('keeps distinct messages apart', async () => {
    const { sink, recorder } = setup();
    recorder.record(service, 'Warning', 'InvalidAnnotation', 'one');
    recorder.record(service, 'Warning', 'InvalidAnnotation', 'two');
    recorder.record({ ...service, name: 'api' }, 'Warning', 'InvalidAnnotation', 'one');
    await recorder.flush();
    expect(sink.calls.map((call) => call.op)).toEqual(['create', 'create', 'create']);
    expect(sink.stored.size).toBe(3);
  });

  it('rate-limits per object with a refilling burst', async () => {
    const { clock, sink, recorder } = setup({ burst: 3, refillIntervalMs: 60_000 });
    for (let i = 0; i < 10; i++) recorder.record(service, 'Normal', 'Synced', `m${i}`);
    recorder.record({ ...service, name: 'other' }, 'Normal', 'Synced', 'x');
    await recorder.flush();
    expect(sink.calls).toHaveLength(4);
    await clock.advance(60_000);
    recorder.record(service, 'Normal', 'Synced', 'later');
    recorder.record(service, 'Normal', 'Synced', 'later2');
    await recorder.flush();
    expect(sink.calls).toHaveLength(5);
  });

  it('logs write failures and never throws; the next repeat creates the Event again', async () => {
    const { sink, recorder, logs } = setup();
    sink.failCreates = 1;
    expect(() => recorder.record(service, 'Warning', 'R', 'm')).not.toThrow();
    await recorder.flush();
    expect(logs.some((line) => line.includes('could not write an event') && line.includes('forbidden'))).toBe(
      true,
    );
    recorder.record(service, 'Warning', 'R', 'm');
    await recorder.flush();
    expect(sink.calls.map((call) => call.op)).toEqual(['create', 'create']);
    expect([...sink.stored.values()][0]?.count).toBe(1);
  });

  it('recreates an Event that expired on the server', async () => {
    const { sink, recorder } = setup();
    recorder.record(service, 'Warning', 'R', 'm');
    await recorder.flush();
    sink.stored.clear();
    recorder.record(service, 'Warning', 'R', 'm');
    await recorder.flush();
    expect(sink.calls.map((call) => call.op)).toEqual(['create', 'update', 'create']);
    expect([...sink.stored.values()][0]?.count).toBe(1);
  });

  it('truncates long messages', async () => {
    const { sink, recorder } = setup();
    recorder.record(service, 'Warning', 'R', 'x'.repeat(5_000));
    await recorder.flush();
    expect(sink.calls[0]?.event.message.length).toBe(1024);
  });
});
