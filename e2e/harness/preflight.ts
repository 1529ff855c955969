/**
 * Whether this machine can run the multi-node suite: root, the tools, and the right to make network
 * namespaces. The answer is a reason to skip (shown by vitest), never a silent pass.
 */
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { describeFailure, runCommand } from './command.js';
import { runPrefix } from './names.js';
import { createNamespace, deleteNamespace, runIn } from './netns.js';

/** The tools the harness runs, and the Debian package of each. */
export const REQUIRED_TOOLS: Readonly<Record<string, string>> = {
  ip: 'iproute2',
  ss: 'iproute2',
  iptables: 'iptables',
  'iptables-restore': 'iptables',
  dnsmasq: 'dnsmasq-base',
  unshare: 'util-linux',
  setpriv: 'util-linux',
  sysctl: 'procps',
  curl: 'curl',
  dig: 'dnsutils',
  socat: 'socat',
  nc: 'netcat-openbsd',
  tcpdump: 'tcpdump',
  openssl: 'openssl',
};

/** Directories searched besides PATH: root's tools live in sbin, which a non-login PATH may lack. */
const STANDARD_DIRS = ['/usr/sbin', '/sbin', '/usr/bin', '/bin'];

/** Tools from REQUIRED_TOOLS found in none of the PATH directories and `extraDirs`. */
export function missingTools(
  path: string = process.env.PATH ?? '',
  extraDirs: readonly string[] = STANDARD_DIRS,
): string[] {
  const dirs = [...path.split(delimiter), ...extraDirs].filter(Boolean);
  return Object.keys(REQUIRED_TOOLS).filter((tool) => !dirs.some((dir) => isExecutable(join(dir, tool))));
}

/** Why the suite cannot run here, or undefined when it can. */
export async function harnessSkipReason(): Promise<string | undefined> {
  if (process.platform !== 'linux') return `the multi-node harness needs Linux, this is ${process.platform}`;
  if (process.getuid?.() !== 0) return 'the multi-node harness needs root (network namespaces, iptables)';
  const missing = missingTools();
  if (missing.length > 0) {
    const packages = [...new Set(missing.map((t) => REQUIRED_TOOLS[t]))].join(' ');
    return `the multi-node harness needs ${missing.join(', ')} (apt-get install ${packages})`;
  }
  const probe = await runCommand('unshare', ['--net', '--', 'true'], { timeoutMs: 5_000 });
  if (probe.code !== 0)
    return `cannot create a network namespace here (unshare --net: ${probe.stderr.trim()})`;
  return probeNamespace();
}

/** Makes and removes one named namespace with a nat rule in it: what every cluster needs of the kernel. */
async function probeNamespace(): Promise<string | undefined> {
  const ns = `${runPrefix()}probe`;
  try {
    await createNamespace(ns);
    const nat = await runIn(ns, 'iptables', [
      '-t',
      'nat',
      '-A',
      'OUTPUT',
      '-d',
      '10.96.0.1/32',
      '-p',
      'tcp',
      '-j',
      'DNAT',
      '--to-destination',
      '10.251.1.2:80',
    ]);
    if (nat.code !== 0)
      return `iptables DNAT does not work in a network namespace here: ${describeFailure(nat)}`;
    return undefined;
  } catch (error) {
    return `cannot make a named network namespace here: ${error instanceof Error ? error.message : String(error)}`;
  } finally {
    await deleteNamespace(ns);
  }
}

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
