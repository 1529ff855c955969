/**
 * Runs a command to completion with a hard time limit and returns what it printed. The one place the harness
 * spawns short-lived tools (ip, iptables, curl, dig, socat), so every call is bounded in time and none can
 * hang a test. A failed exit is a result, not an exception: callers decide what a failure means.
 */
import { spawn } from 'node:child_process';

/** What a finished command left behind. `code` is null when a signal (or the time limit) ended it. */
export interface CommandResult {
  readonly command: string;
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly timedOut: boolean;
}

export interface CommandOptions {
  /** Killed with SIGKILL after this long (default 10 s). */
  readonly timeoutMs?: number;
  /** Written to the command's standard input, which is then closed. */
  readonly input?: string;
}

const DEFAULT_TIMEOUT_MS = 10_000;
const MAX_OUTPUT = 1 << 20;

/**
 * The environment for every spawned tool: the runner's, less proxy settings, so curl never tries a proxy
 * configured for the machine.
 */
export function toolEnvironment(extra: Readonly<Record<string, string>> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
  for (const key of Object.keys(env)) {
    if (/^(https?|ftp|all|no)_proxy$/i.test(key)) delete env[key];
  }
  return env;
}

/** Runs `file args…` and resolves when it exits or is killed at the time limit. Never rejects. */
export function runCommand(
  file: string,
  args: readonly string[],
  options: CommandOptions = {},
): Promise<CommandResult> {
  const command = [file, ...args].join(' ');
  return new Promise((resolve) => {
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    const child = spawn(file, args, { env: toolEnvironment(), stdio: ['pipe', 'pipe', 'pipe'] });
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      if (stdout.length < MAX_OUTPUT) stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      if (stderr.length < MAX_OUTPUT) stderr += chunk;
    });
    child.stdin.on('error', () => {});
    child.stdin.end(options.input ?? '');
    const finish = (code: number | null, error?: Error) => {
      clearTimeout(timer);
      resolve({ command, code, stdout, stderr: error ? `${stderr}${error.message}` : stderr, timedOut });
    };
    child.on('error', (error) => finish(null, error));
    child.on('close', (code) => finish(code));
  });
}

/** Like runCommand, but throws with the command and its stderr when it does not exit 0. */
export async function mustRun(
  file: string,
  args: readonly string[],
  options: CommandOptions = {},
): Promise<string> {
  const result = await runCommand(file, args, options);
  if (result.code !== 0) throw new Error(describeFailure(result));
  return result.stdout;
}

/** One line saying which command failed and how. */
export function describeFailure(result: CommandResult): string {
  const how = result.timedOut ? 'timed out' : `exited with ${result.code ?? 'a signal'}`;
  const detail = result.stderr.trim() || result.stdout.trim();
  return `\`${result.command}\` ${how}${detail ? `: ${detail}` : ''}`;
}
