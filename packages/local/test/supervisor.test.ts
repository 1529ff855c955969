/**
 * The restart loop of local mode on real child processes: a process that dies is started again after the
 * backoff and each exit is said on the console; a stopped one is not.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startChild } from '../src/child-process.js';
import { describeExit, Supervisor } from '../src/supervisor.js';

const supervisors: Supervisor[] = [];
afterEach(async () => {
  await Promise.all(supervisors.splice(0).map((s) => s.stop()));
});

async function until(what: string, check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('Supervisor', () => {
  it('starts a killed process again after the backoff, and says so', async () => {
    const lines: string[] = [];
    const delays: number[] = [];
    const supervisor = new Supervisor({
      name: 'sleeper',
      start: () => startChild('sleeper', ['-e', 'setInterval(() => {}, 1000)'], {}, (l) => lines.push(l)),
      print: (line) => lines.push(line),
      backoff: (attempt) => {
        delays.push(attempt);
        return 50 * attempt;
      },
    });
    supervisors.push(supervisor);
    const first = supervisor.child;
    first.process.kill('SIGKILL');
    await until('a restart', () => supervisor.restarts === 1);
    expect(supervisor.child).not.toBe(first);
    expect(supervisor.child.process.exitCode).toBeNull();
    supervisor.child.process.kill('SIGKILL');
    await until('a second restart', () => supervisor.restarts === 2);
    expect(delays).toEqual([1, 2]);
    expect(lines).toEqual([
      '[local] sleeper was killed by SIGKILL; restarting in 50 ms',
      '[local] sleeper restarted (restart 1)',
      '[local] sleeper was killed by SIGKILL; restarting in 100 ms',
      '[local] sleeper restarted (restart 2)',
    ]);
  });

  it('restarts a process that exits on its own, and never one it stopped', async () => {
    const lines: string[] = [];
    const supervisor = new Supervisor({
      name: 'quitter',
      start: () => startChild('quitter', ['-e', 'process.exit(3)'], {}, (l) => lines.push(l)),
      print: (line) => lines.push(line),
      backoff: () => 30,
    });
    supervisors.push(supervisor);
    await until('two restarts', () => supervisor.restarts >= 2);
    expect(lines[0]).toBe('[local] quitter exited with code 3; restarting in 30 ms');
    await supervisor.stop();
    const restarts = supervisor.restarts;
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(supervisor.restarts).toBe(restarts);
  });

  it('describes exits', () => {
    expect(describeExit('0')).toBe('exited with code 0');
    expect(describeExit('SIGTERM')).toBe('was killed by SIGTERM');
    expect(describeExit('error: spawn ENOENT')).toBe('failed: error: spawn ENOENT');
  });
});
