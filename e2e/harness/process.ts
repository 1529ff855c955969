/**
 * Long-running processes inside a namespace (servers, dnsmasq, later the mesh's components). Each one's
 * output goes to a log file; it is stopped by its PID, SIGTERM then SIGKILL. `setpriv --pdeathsig` makes the
 * kernel send SIGTERM to it when the runner dies, so a killed runner leaves no server behind.
 */
import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { toolEnvironment } from './command.js';

export interface ProcessSpec {
  /** A short name for logs and errors, e.g. `dnsmasq` or `web@node-a`. */
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  /** Where stdout and stderr go (appended). */
  readonly logFile: string;
  readonly env?: Readonly<Record<string, string>>;
}

export interface ProcessExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** A started process. `exit` settles when it ends, for whatever reason. */
export interface ManagedProcess {
  readonly name: string;
  readonly ns: string;
  readonly pid: number;
  readonly logFile: string;
  readonly exit: Promise<ProcessExit>;
  /** The exit once it happened, or undefined while it runs. */
  exited(): ProcessExit | undefined;
  /** SIGTERM, then SIGKILL after `graceMs` (default 2 s). Resolves once it is gone. */
  stop(graceMs?: number): Promise<void>;
  /** What it has written to its log so far. */
  log(): Promise<string>;
}

/** Starts `spec` inside namespace `ns`; rejects only if it cannot be spawned at all. */
export async function startProcess(ns: string, spec: ProcessSpec): Promise<ManagedProcess> {
  const fd = openSync(spec.logFile, 'a');
  const args = ['netns', 'exec', ns, 'setpriv', '--pdeathsig', 'SIGTERM', '--', spec.command, ...spec.args];
  const child = spawn('ip', args, { env: toolEnvironment(spec.env), stdio: ['ignore', fd, fd] });
  closeSync(fd);
  let exitState: ProcessExit | undefined;
  const exit = new Promise<ProcessExit>((resolve) => {
    child.on('exit', (code, signal) => {
      exitState = { code, signal };
      resolve(exitState);
    });
  });
  const pid = await new Promise<number>((resolve, reject) => {
    child.once('spawn', () => resolve(child.pid ?? -1));
    child.once('error', (error) => reject(new Error(`cannot start ${spec.name}: ${error.message}`)));
  });
  const signal = (sig: NodeJS.Signals) => {
    if (exitState !== undefined) return;
    try {
      process.kill(pid, sig);
    } catch {
      // gone between the check and the kill
    }
  };
  return {
    name: spec.name,
    ns,
    pid,
    logFile: spec.logFile,
    exit,
    exited: () => exitState,
    async stop(graceMs = 2_000) {
      signal('SIGTERM');
      if (await settlesWithin(exit, graceMs)) return;
      signal('SIGKILL');
      await settlesWithin(exit, 2_000);
    },
    log: () => readFile(spec.logFile, 'utf8').catch(() => ''),
  };
}

async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  const timeout = sleep(ms).then(() => false);
  return Promise.race([promise.then(() => true), timeout]);
}
