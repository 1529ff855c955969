/**
 * Waiting for a process to say something: polls its log file until a pattern matches, for readiness that no
 * port shows (a handler installed, a leader elected, a sync done). Bounded in attempts and time; fails early,
 * with the log's end, if the process exits first.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { ManagedProcess } from './process.js';

const POLL_MS = 50;

/** Resolves with the first match of `pattern` in the process's log; rejects after `timeoutMs` (default 10 s). */
export async function waitForLog(
  process: ManagedProcess,
  pattern: RegExp,
  timeoutMs = 10_000,
): Promise<RegExpMatchArray> {
  const deadline = Date.now() + timeoutMs;
  const maxAttempts = Math.ceil(timeoutMs / POLL_MS) + 1;
  let log = '';
  for (let attempt = 0; attempt < maxAttempts && Date.now() < deadline; attempt += 1) {
    const exited = process.exited();
    log = await process.log();
    const match = log.match(pattern);
    if (match) return match;
    if (exited !== undefined) break;
    await sleep(POLL_MS);
  }
  const tail = log.trim().split('\n').slice(-10).join('\n');
  const why = process.exited() === undefined ? `within ${timeoutMs} ms` : 'before it exited';
  throw new Error(`${process.name} did not log ${pattern} ${why}:\n${tail}`);
}
