/**
 * Named network namespaces (`ip netns`), the harness's hosts. Every helper refuses a name without the
 * harness prefix, so no command here can touch a namespace the harness did not make.
 */
import { readdir, rm, stat } from 'node:fs/promises';
import { type CommandOptions, type CommandResult, mustRun, runCommand } from './command.js';
import { HARNESS_PREFIX } from './names.js';

const NETNS_DIR = '/run/netns';
/** `ip netns exec` bind-mounts the files here over /etc (resolv.conf, hosts) for commands in the namespace. */
export const NETNS_ETC_DIR = '/etc/netns';

function assertHarnessNamespace(ns: string): string {
  if (!ns.startsWith(HARNESS_PREFIX) || /[\s/]/.test(ns)) {
    throw new Error(
      `refusing namespace ${JSON.stringify(ns)}: the harness only touches names starting with "${HARNESS_PREFIX}"`,
    );
  }
  return ns;
}

/** Creates a namespace with its loopback up and returns its inode (to find its processes later). */
export async function createNamespace(ns: string): Promise<number> {
  await mustRun('ip', ['netns', 'add', assertHarnessNamespace(ns)]);
  await mustRun('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
  return namespaceInode(ns);
}

/** The inode that identifies the namespace, as in `/proc/<pid>/ns/net -> net:[inode]`. */
export async function namespaceInode(ns: string): Promise<number> {
  return (await stat(`${NETNS_DIR}/${assertHarnessNamespace(ns)}`)).ino;
}

/** Names of all harness namespaces on the machine (this run's and any other's). */
export async function listHarnessNamespaces(): Promise<string[]> {
  const entries = await readdir(NETNS_DIR).catch(() => []);
  return entries.filter((name) => name.startsWith(HARNESS_PREFIX));
}

/** PIDs of the processes inside a namespace (`ip netns pids`). */
export async function namespacePids(ns: string): Promise<number[]> {
  const result = await runCommand('ip', ['netns', 'pids', assertHarnessNamespace(ns)]);
  return result.stdout
    .split(/\s+/)
    .filter((word) => /^\d+$/.test(word))
    .map(Number);
}

/**
 * Deletes a namespace: first SIGKILLs the processes still inside it (all started by the harness, since the
 * namespace is the harness's), because a process would keep the namespace alive after its name is gone.
 */
export async function deleteNamespace(ns: string): Promise<void> {
  for (const pid of await namespacePids(ns)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  await runCommand('ip', ['netns', 'delete', assertHarnessNamespace(ns)]);
  await rm(`${NETNS_ETC_DIR}/${ns}`, { recursive: true, force: true });
}

/** Runs a tool inside a namespace (`ip netns exec`), bounded in time. */
export function runIn(
  ns: string,
  file: string,
  args: readonly string[],
  options?: CommandOptions,
): Promise<CommandResult> {
  return runCommand('ip', ['netns', 'exec', assertHarnessNamespace(ns), file, ...args], options);
}

/** Like runIn, but throws when the tool fails. */
export function mustRunIn(
  ns: string,
  file: string,
  args: readonly string[],
  options?: CommandOptions,
): Promise<string> {
  return mustRun('ip', ['netns', 'exec', assertHarnessNamespace(ns), file, ...args], options);
}

/** Runs an `ip` subcommand against a namespace (`ip -n <ns> …`), throwing on failure. */
export function ipIn(ns: string, args: readonly string[]): Promise<string> {
  return mustRun('ip', ['-n', assertHarnessNamespace(ns), ...args]);
}

/** Sets a sysctl inside a namespace (net.* sysctls are per namespace). */
export async function sysctlIn(ns: string, key: string, value: string): Promise<void> {
  await mustRunIn(ns, 'sysctl', ['-q', '-w', `${key}=${value}`]);
}
