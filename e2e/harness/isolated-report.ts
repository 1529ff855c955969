/**
 * What an isolated run (a vitest inside `unshare --net`) leaves in its report folder: its own test counts
 * (`results.json`, vitest's JSON reporter) and, per suite, what the suite made (`made-*`). The outer test reads
 * them to prove the run tested something and left nothing behind.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { findLeftovers, type Leftovers, runQuery } from './leftovers.js';

export interface InnerRunCounts {
  readonly numTotalTests: number;
  readonly numPassedTests: number;
  readonly numPendingTests: number;
  readonly numTodoTests: number;
}

export async function readInnerRunCounts(reportDir: string): Promise<InnerRunCounts> {
  return JSON.parse(await readFile(join(reportDir, 'results.json'), 'utf8')) as InnerRunCounts;
}

/** One entry per suite that reported what it made: what of it is still there (all empty when clean). */
export async function leftoversOfInnerRun(reportDir: string): Promise<Leftovers[]> {
  const reports = (await readdir(reportDir)).filter((name) => name.startsWith('made-'));
  const found: Leftovers[] = [];
  for (const file of reports) {
    const { pid, inodes, pids } = JSON.parse(await readFile(join(reportDir, file), 'utf8')) as {
      pid: number;
      inodes: number[];
      pids: number[];
    };
    found.push(await findLeftovers(runQuery(pid, inodes, pids)));
  }
  return found;
}
