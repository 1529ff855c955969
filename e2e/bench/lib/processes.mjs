/**
 * The shell around every process the bench starts: pinned to a core with taskset, tracked by PID, stopped
 * by PID (SIGTERM, then SIGKILL) at the end of each measurement and on failure or Ctrl-C. CPU time and
 * resident memory are read from /proc, summed over the process and its children (nginx's worker).
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import net from 'node:net';

const CLOCK_TICKS = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

const HAS_TASKSET = existsSync('/usr/bin/taskset');

/** Every process started and not yet reaped, by PID. */
const running = new Map();
/** Set once the bench is shutting down: no new process may start after that. */
let stopping = false;

/**
 * Starts `command` pinned to `cpu` (when taskset exists and cpu is defined). Resolves once the process has
 * spawned; its stdout and stderr are kept (the last `maxOutput` characters) for readiness and errors.
 */
export function startProcess(name, command, args, { cpu, env, maxOutput = 65_536 } = {}) {
  if (stopping) throw new Error(`not starting ${name}: the bench is stopping`);
  const [file, argv] =
    HAS_TASKSET && cpu !== undefined ? ['taskset', ['-c', String(cpu), command, ...args]] : [command, args];
  const child = spawn(file, argv, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  const proc = { name, child, pid: child.pid, output: '', exited: false, exitCode: null };
  const keep = (chunk) => {
    proc.output = (proc.output + chunk.toString()).slice(-maxOutput);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  child.on('exit', (code, signal) => {
    proc.exited = true;
    proc.exitCode = code ?? signal;
    running.delete(proc.pid);
  });
  child.on('error', (error) => {
    proc.exited = true;
    proc.output += `\n${error.message}`;
    running.delete(proc.pid);
  });
  if (child.pid !== undefined) running.set(child.pid, proc);
  return proc;
}

/** Waits until the process prints a line matching `pattern` (returns the match) or fails within `timeoutMs`. */
export async function waitForOutput(proc, pattern, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const match = proc.output.match(pattern);
    if (match) return match;
    if (proc.exited)
      throw new Error(`${proc.name} exited (${proc.exitCode}) before it was ready:\n${tail(proc)}`);
    await sleep(25);
  }
  throw new Error(`${proc.name} was not ready within ${timeoutMs} ms:\n${tail(proc)}`);
}

/** Waits until a TCP connection to 127.0.0.1:port succeeds, bounded by `timeoutMs`. */
export async function waitForPort(port, proc, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (proc?.exited) throw new Error(`${proc.name} exited (${proc.exitCode}):\n${tail(proc)}`);
    const ok = await new Promise((resolve) => {
      const socket = net.connect({ host: '127.0.0.1', port }, () => {
        socket.destroy();
        resolve(true);
      });
      socket.on('error', () => resolve(false));
    });
    if (ok) return;
    await sleep(50);
  }
  throw new Error(
    `nothing listens on 127.0.0.1:${port} after ${timeoutMs} ms${proc ? `:\n${tail(proc)}` : ''}`,
  );
}

/** Stops one process by its PID: SIGTERM, then SIGKILL after `graceMs`. */
export async function stopProcess(proc, graceMs = 2000) {
  if (proc === undefined || proc.exited || proc.pid === undefined) return;
  const gone = new Promise((resolve) => proc.child.once('exit', resolve));
  try {
    process.kill(proc.pid, 'SIGTERM');
  } catch {
    return;
  }
  const timer = setTimeout(() => {
    try {
      process.kill(proc.pid, 'SIGKILL');
    } catch {}
  }, graceMs);
  await gone;
  clearTimeout(timer);
}

/** Stops every process still running (at the end, on failure); `final` also refuses new ones (Ctrl-C). */
export async function stopAll({ final = false } = {}) {
  if (final) stopping = true;
  await Promise.all([...running.values()].map((proc) => stopProcess(proc)));
}

/**
 * Synchronous last resort when the bench exits: SIGTERM by PID to whatever is left. SIGTERM, not SIGKILL,
 * so that an nginx master still takes its worker down with it.
 */
export function killAllNow() {
  stopping = true;
  for (const pid of running.keys()) {
    try {
      process.kill(pid, 'SIGTERM');
    } catch {}
  }
}

/** Runs a command to completion (pinned like startProcess) and resolves with its stdout; bounded in time. */
export async function runToEnd(name, command, args, { cpu, timeoutMs = 120_000, env, maxOutput } = {}) {
  const proc = startProcess(name, command, args, { cpu, env, maxOutput });
  const timer = setTimeout(() => void stopProcess(proc), timeoutMs);
  await new Promise((resolve) => {
    if (proc.exited) resolve();
    else proc.child.once('close', resolve);
  });
  clearTimeout(timer);
  if (proc.exitCode !== 0) throw new Error(`${name} failed (${proc.exitCode}):\n${tail(proc)}`);
  return proc.output;
}

/** The PIDs of a process and all its descendants, from /proc. */
export function processTree(rootPid) {
  const children = new Map();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readStat(Number(entry));
    if (stat === undefined) continue;
    const list = children.get(stat.ppid) ?? [];
    list.push(Number(entry));
    children.set(stat.ppid, list);
  }
  const pids = [];
  const queue = [rootPid];
  while (queue.length > 0) {
    const pid = queue.shift();
    pids.push(pid);
    queue.push(...(children.get(pid) ?? []));
  }
  return pids;
}

/** CPU seconds (user + system, and each) and resident bytes of a process tree, now. */
export function usage(rootPid) {
  let userSeconds = 0;
  let systemSeconds = 0;
  let rssBytes = 0;
  for (const pid of processTree(rootPid)) {
    const stat = readStat(pid);
    if (stat === undefined) continue;
    userSeconds += stat.utime / CLOCK_TICKS;
    systemSeconds += stat.stime / CLOCK_TICKS;
    rssBytes += readRss(pid);
  }
  return { cpuSeconds: userSeconds + systemSeconds, userSeconds, systemSeconds, rssBytes };
}

function readStat(pid) {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name is in parentheses and may hold spaces: split after the last ')'.
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { ppid: Number(fields[1]), utime: Number(fields[11]), stime: Number(fields[12]) };
  } catch {
    return undefined;
  }
}

function readRss(pid) {
  try {
    const match = readFileSync(`/proc/${pid}/status`, 'utf8').match(/VmRSS:\s+(\d+) kB/);
    return match ? Number(match[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** A free loopback TCP port (bound and released; the bench starts its servers right after). */
export async function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

export function tail(proc, chars = 2000) {
  return proc.output.slice(-chars);
}

export function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
