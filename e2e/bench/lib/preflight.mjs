/**
 * The Debian tools the bench drives. Run as root, it installs what is missing with apt-get; otherwise it
 * prints the command and runs the sections whose tools are there (each section names what it needs).
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/** Tool → the Debian package that has it. */
export const TOOLS = {
  wrk: { binary: '/usr/bin/wrk', pkg: 'wrk' },
  nginx: { binary: '/usr/sbin/nginx', pkg: 'nginx-light' },
  haproxy: { binary: '/usr/sbin/haproxy', pkg: 'haproxy' },
  unbound: { binary: '/usr/sbin/unbound', pkg: 'unbound' },
  dnsperf: { binary: '/usr/bin/dnsperf', pkg: 'dnsperf' },
  taskset: { binary: '/usr/bin/taskset', pkg: 'util-linux' },
  openssl: { binary: '/usr/bin/openssl', pkg: 'openssl' },
};

export function missingTools() {
  return Object.entries(TOOLS)
    .filter(([, tool]) => !existsSync(tool.binary))
    .map(([name]) => name);
}

/** Installs missing tools when root; returns the names still missing (and logs how to get them). */
export function ensureTools(log) {
  let missing = missingTools();
  if (missing.length === 0) return [];
  const packages = [...new Set(missing.map((name) => TOOLS[name].pkg))];
  const command = `apt-get install -y ${packages.join(' ')}`;
  if (process.getuid?.() === 0) {
    log(`installing ${packages.join(', ')} (${command})`);
    try {
      execFileSync('apt-get', ['install', '-y', ...packages], {
        stdio: 'inherit',
        env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
      });
    } catch {
      log('apt-get install failed; try `apt-get update` first');
    }
    missing = missingTools();
  }
  if (missing.length > 0)
    log(`missing ${missing.join(', ')}: run \`sudo ${command}\`; sections that need them are skipped`);
  return missing;
}
