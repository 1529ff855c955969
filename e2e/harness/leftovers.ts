/**
 * Finding and removing what harness runs left behind. `findLeftovers` is the check after a suite: nothing of
 * the run may remain. `removeStaleRuns` runs before a suite: it removes namespaces, /etc/netns entries and
 * log directories of runs whose process is gone (killed before its teardown), and never touches a live run.
 */
import { readFileSync } from 'node:fs';
import { readdir, readlink, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCommand } from './command.js';
import { HARNESS_PREFIX, linkTag, ownerPid } from './names.js';
import { deleteNamespace, listHarnessNamespaces, NETNS_ETC_DIR } from './netns.js';

/** What a run left behind; every list empty means a clean teardown. */
export interface Leftovers {
  readonly namespaces: string[];
  /** Interfaces of the run in the runner's namespace or the machine's (there should never be any). */
  readonly links: string[];
  /** Processes still inside one of the run's namespaces, or tracked and still alive. */
  readonly processes: number[];
  readonly files: string[];
}

/** What to look for: names starting with `prefix`, links with `linkTag`, and the namespaces and PIDs known. */
export interface LeftoverQuery {
  readonly prefix: string;
  readonly linkTag: string;
  /** Inodes of the namespaces made, to find processes still inside them once their names are gone. */
  readonly inodes?: readonly number[];
  /** PIDs of the processes started. */
  readonly pids?: readonly number[];
}

/** The query for everything a whole run of process `pid` made (all its clusters). */
export function runQuery(
  pid: number,
  inodes: readonly number[] = [],
  pids: readonly number[] = [],
): LeftoverQuery {
  return { prefix: `${HARNESS_PREFIX}${pid}-`, linkTag: linkTag(pid), inodes, pids };
}

/** What is left of the things a query describes. */
export async function findLeftovers(query: LeftoverQuery): Promise<Leftovers> {
  const { prefix, linkTag: tag, inodes = [], pids = [] } = query;
  const namespaces = (await listHarnessNamespaces()).filter((ns) => ns.startsWith(prefix));
  const links = (await interfaceNames()).filter((name) => name.startsWith(tag));
  const inNamespaces = await processesInNamespaces(new Set(inodes.filter((i) => i > 0)));
  const processes = [...new Set([...inNamespaces, ...pids.filter(isAlive)])];
  const files = [
    ...(await entries(NETNS_ETC_DIR))
      .filter((name) => name.startsWith(prefix))
      .map((n) => join(NETNS_ETC_DIR, n)),
    // Log directories, unless kept on purpose (NMT_KEEP_LOGS=1).
    ...(process.env.NMT_KEEP_LOGS === '1' ? [] : await entries(tmpdir()))
      .filter((name) => name.startsWith(prefix))
      .map((n) => join(tmpdir(), n)),
  ];
  return { namespaces, links, processes, files };
}

/** Removes everything of harness runs whose owning process no longer exists; returns what it removed. */
export async function removeStaleRuns(): Promise<string[]> {
  const removed: string[] = [];
  const stale = (name: string) => {
    const pid = ownerPid(name);
    return pid !== undefined && !isAlive(pid);
  };
  for (const ns of (await listHarnessNamespaces()).filter(stale)) {
    await deleteNamespace(ns);
    removed.push(`namespace ${ns}`);
  }
  for (const dir of [NETNS_ETC_DIR, tmpdir()]) {
    for (const name of (await entries(dir)).filter(stale)) {
      await rm(join(dir, name), { recursive: true, force: true });
      removed.push(join(dir, name));
    }
  }
  return removed;
}

/**
 * Whether a process is alive: it exists and is not a zombie (an exited process its new parent has not reaped
 * yet, which signal 0 would still find).
 */
export function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

/**
 * Interface names of the runner's namespace (`ip -o link`) and of the machine's: /sys stays the machine's
 * sysfs for a runner that only unshared its network namespace, so /sys/class/net lists the machine's links.
 */
async function interfaceNames(): Promise<string[]> {
  const own = await runCommand('ip', ['-o', 'link', 'show']);
  const names = [...own.stdout.matchAll(/^\d+: ([^:@]+)/gm)].map((m) => m[1] ?? '');
  return [...names, ...(await entries('/sys/class/net'))];
}

async function processesInNamespaces(inodes: ReadonlySet<number>): Promise<number[]> {
  if (inodes.size === 0) return [];
  const found: number[] = [];
  for (const entry of await entries('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const link = await readlink(`/proc/${entry}/ns/net`).catch(() => '');
    const inode = /^net:\[(\d+)\]$/.exec(link)?.[1];
    if (inode !== undefined && inodes.has(Number(inode))) found.push(Number(entry));
  }
  return found;
}

async function entries(dir: string): Promise<string[]> {
  return readdir(dir).catch(() => []);
}
