import { describe, expect, it } from 'vitest';
import { ManualClock, settle } from './manual-clock.js';
import { SyncRunner } from './sync-runner.js';

/** A runner whose sync records the clock time of each run; `fail` decides per run whether it rejects. */
function setup(options: { fail?: (run: number) => boolean; holdMs?: number } = {}) {
  const clock = new ManualClock(1_000_000);
  const runs: number[] = [];
  const runner = new SyncRunner({
    name: 'test',
    clock,
    minIntervalMs: 1_000,
    maxIntervalMs: 60_000,
    sync: async () => {
      runs.push(clock.now());
      const index = runs.length;
      if (options.holdMs !== undefined) {
        await new Promise<void>((resolve) => clock.setTimeout(resolve, options.holdMs ?? 0));
      }
      if (options.fail?.(index)) throw new Error(`run ${index} failed`);
    },
  });
  const at = (offset: number) => 1_000_000 + offset;
  return { clock, runs, runner, at };
}

describe('SyncRunner', () => {
  it('runs nothing before start(), then runs once on start', async () => {
    const { clock, runs, runner, at } = setup();
    runner.run();
    runner.run();
    await clock.advance(10_000);
    expect(runs).toEqual([]);
    runner.start();
    await clock.advance(0);
    expect(runs).toEqual([at(10_000)]);
    await runner.stop();
  });

  it('coalesces a burst into one run after the minimum interval', async () => {
    const { clock, runs, runner, at } = setup();
    runner.start();
    await clock.advance(0);
    for (let i = 0; i < 50; i++) runner.run();
    await clock.advance(999);
    expect(runs).toEqual([at(0)]);
    await clock.advance(1);
    expect(runs).toEqual([at(0), at(1_000)]);
    await clock.advance(5_000);
    expect(runs).toHaveLength(2);
    await runner.stop();
  });

  it('runs immediately when the minimum interval has already passed', async () => {
    const { clock, runs, runner, at } = setup();
    runner.start();
    await clock.advance(5_000);
    runner.run();
    await clock.advance(0);
    expect(runs).toEqual([at(0), at(5_000)]);
    await runner.stop();
  });

  it('resyncs periodically at the maximum interval', async () => {
    const { clock, runs, runner, at } = setup();
    runner.start();
    await clock.advance(130_000);
    expect(runs).toEqual([at(0), at(60_000), at(120_000)]);
    await runner.stop();
  });

  it('retries a failed run with a doubling backoff and resets it after success', async () => {
    const { clock, runs, runner, at } = setup({ fail: (run) => run <= 3 });
    runner.start();
    await clock.advance(20_000);
    // fails at 0, retries after 1 s, 2 s, 4 s; the 4th run succeeds.
    expect(runs).toEqual([at(0), at(1_000), at(3_000), at(7_000)]);
    expect(runner.state()).toMatchObject({
      failures: 3,
      consecutiveFailures: 0,
      lastError: undefined,
      runs: 4,
    });
    await runner.stop();
  });

  it('does not let new requests shorten a retry backoff', async () => {
    const { clock, runs, runner, at } = setup({ fail: (run) => run <= 2 });
    runner.start();
    await clock.advance(1_000); // run 1 at 0 fails, run 2 at 1 s fails: next retry at 3 s.
    runner.run();
    await clock.advance(1_500);
    expect(runs).toEqual([at(0), at(1_000)]);
    expect(runner.state().lastError).toBe('run 2 failed');
    await clock.advance(500);
    expect(runs).toEqual([at(0), at(1_000), at(3_000)]);
    await runner.stop();
  });

  it('never overlaps runs; a request during a run runs once afterwards', async () => {
    const { clock, runs, runner, at } = setup({ holdMs: 5_000 });
    runner.start();
    await clock.advance(100);
    expect(runner.state().running).toBe(true);
    runner.run();
    runner.run();
    await clock.advance(4_900); // the first run ends at 5 s; the pending one starts at once.
    expect(runs).toEqual([at(0), at(5_000)]);
    await clock.advance(5_000);
    expect(runs).toHaveLength(2);
    await runner.stop();
  });

  it('stop() waits for the run in progress and prevents further runs', async () => {
    const clock = new ManualClock();
    let release: () => void = () => {};
    let finished = false;
    let count = 0;
    const runner = new SyncRunner({
      name: 'stop',
      clock,
      minIntervalMs: 0,
      maxIntervalMs: 1_000,
      sync: async () => {
        count++;
        await new Promise<void>((resolve) => {
          release = resolve;
        });
        finished = true;
      },
    });
    runner.start();
    await clock.advance(0);
    let stopped = false;
    const stopping = runner.stop().then(() => {
      stopped = true;
    });
    await settle();
    expect(stopped).toBe(false);
    release();
    await stopping;
    expect(finished).toBe(true);
    runner.run();
    await clock.advance(10_000);
    expect(count).toBe(1);
    expect(clock.pendingTimers()).toBe(0);
  });

  it('treats a synchronous throw like a rejection', async () => {
    const clock = new ManualClock();
    const runner = new SyncRunner({
      name: 'throws',
      clock,
      minIntervalMs: 0,
      maxIntervalMs: 1_000,
      sync: () => {
        throw new Error('sync threw');
      },
    });
    runner.start();
    await clock.advance(0);
    expect(runner.state()).toMatchObject({ failures: 1, lastError: 'sync threw', pending: true });
    await runner.stop();
  });

  it('rejects inconsistent intervals', () => {
    expect(
      () => new SyncRunner({ name: 'bad', minIntervalMs: 10, maxIntervalMs: 5, sync: async () => {} }),
    ).toThrow(/minIntervalMs/);
  });
});
