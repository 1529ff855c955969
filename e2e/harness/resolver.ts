/**
 * A namespace's resolver: `ip netns exec` bind-mounts `/etc/netns/<ns>/resolv.conf` over /etc/resolv.conf
 * for every command it runs there, so `curl http://web.shop.mesh` in a pod resolves through the cluster DNS
 * like a pod's would. The directory goes with the namespace (deleteNamespace removes it).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { HARNESS_PREFIX } from './names.js';
import { NETNS_ETC_DIR } from './netns.js';

export interface ResolverOptions {
  /** Search domains, like a pod's `<ns>.svc.cluster.local svc.cluster.local cluster.local`. */
  readonly search?: readonly string[];
  /** Seconds per try (default 1) and tries (default 1): more for suites whose DNS answers may be slow. */
  readonly timeoutSec?: number;
  readonly attempts?: number;
}

/** The resolv.conf text: one nameserver, by default one try of one second, so a broken DNS fails fast. */
export function resolvConfText(nameserver: string, options: ResolverOptions = {}): string {
  const lines = [`nameserver ${nameserver}`];
  if (options.search && options.search.length > 0) lines.push(`search ${options.search.join(' ')}`);
  lines.push(`options timeout:${options.timeoutSec ?? 1} attempts:${options.attempts ?? 1}`);
  return `${lines.join('\n')}\n`;
}

/** Points the resolver of commands run in `ns` at `nameserver` (port 53: resolv.conf has no port). */
export async function setResolver(
  ns: string,
  nameserver: string,
  options: ResolverOptions = {},
): Promise<void> {
  if (!ns.startsWith(HARNESS_PREFIX) || ns.includes('/'))
    throw new Error(`refusing namespace ${JSON.stringify(ns)}`);
  const dir = `${NETNS_ETC_DIR}/${ns}`;
  await mkdir(dir, { recursive: true });
  await writeFile(`${dir}/resolv.conf`, resolvConfText(nameserver, options));
}
