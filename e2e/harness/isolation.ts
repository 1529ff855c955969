/**
 * The runner's own isolation. The suite's vitest process runs in a fresh network namespace of its own
 * (`unshare --net`), so that even a mistaken connection from the runner itself cannot leave the machine: that
 * namespace has nothing but a loopback. `runIsolated` starts such a runner; `assertIsolatedRunner` is the
 * guard at the top of every suite meant to run inside one.
 */
import { spawn } from 'node:child_process';
import { readlinkSync } from 'node:fs';
import { runCommand, toolEnvironment } from './command.js';

/** Set by runIsolated to the network namespace it started from, for the runner to prove it left it. */
export const OUTER_NETNS_ENV = 'NMT_OUTER_NETNS';

/**
 * Throws unless this process sits in a network namespace with no interface but loopback (from which no
 * packet can leave) and, where it can tell, not in the namespace it was started from or pid 1's.
 */
export async function assertIsolatedRunner(): Promise<void> {
  const links = await runCommand('ip', ['-o', 'link', 'show']);
  const names = [...links.stdout.matchAll(/^\d+: ([^:@]+)/gm)].map((m) => m[1]);
  if (links.code !== 0 || names.some((name) => name !== 'lo')) {
    throw new Error(
      `the multi-node suite must run in a network namespace of its own (start it with \`unshare --net\`); this one has ${names.join(', ')}`,
    );
  }
  const own = netnsOf('self');
  const others = [process.env[OUTER_NETNS_ENV], netnsOf('1')].filter((ns) => ns !== undefined);
  if (own === undefined || others.includes(own)) {
    throw new Error(
      `the runner is in the machine's network namespace (${own ?? 'unknown'}): start it with \`unshare --net\``,
    );
  }
}

/** `net:[inode]` of a process, or undefined when it cannot be read (pid 1's, inside some containers). */
export function netnsOf(pid: string): string | undefined {
  try {
    return readlinkSync(`/proc/${pid}/ns/net`);
  } catch {
    return undefined;
  }
}

export interface IsolatedRun {
  readonly code: number | null;
  readonly output: string;
  readonly timedOut: boolean;
}

/**
 * Runs `node args…` (e.g. vitest on a config) inside `unshare --net` with loopback up, and returns its exit
 * and combined output. The chain dies with the caller: `setpriv --pdeathsig` kills unshare when the caller
 * dies, and `--kill-child` then sends SIGTERM to the runner (whose servers get theirs the same way). Past
 * `timeoutMs` the chain is killed. Namespaces of a killed runner stay until the next run's removeStaleRuns.
 */
export function runIsolated(
  args: readonly string[],
  options: { cwd: string; timeoutMs: number; env?: Record<string, string> },
): Promise<IsolatedRun> {
  return new Promise((resolve) => {
    const child = spawn(
      'setpriv',
      [
        '--pdeathsig',
        'SIGKILL',
        '--',
        'unshare',
        '--net',
        '--kill-child=SIGTERM',
        '--',
        '/bin/sh',
        '-c',
        'ip link set lo up && exec "$0" "$@"',
        process.execPath,
        ...args,
      ],
      {
        cwd: options.cwd,
        env: toolEnvironment({ ...options.env, [OUTER_NETNS_ENV]: netnsOf('self') ?? '' }),
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let output = '';
    let timedOut = false;
    const collect = (chunk: Buffer) => {
      if (output.length < 4 << 20) output += chunk.toString('utf8');
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    const timer = setTimeout(() => {
      timedOut = true;
      // unshare ignores SIGTERM while it waits for its child; SIGKILL makes it pass SIGTERM on (--kill-child).
      child.kill('SIGKILL');
    }, options.timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      resolve({ code: null, output: `${output}${error.message}`, timedOut });
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output, timedOut });
    });
  });
}
