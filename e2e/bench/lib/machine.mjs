/** What the numbers were measured on: the report states it, so results from two machines are not mixed up. */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';

export function describeMachine() {
  const cpus = os.cpus();
  return {
    cpuModel: cpus[0]?.model ?? 'unknown',
    cores: cpus.length,
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    kernel: `${os.type()} ${os.release()}`,
    node: process.version,
    os: osRelease(),
    loadAverage: os.loadavg().map((l) => Math.round(l * 100) / 100),
    tools: {
      nginx: version('nginx', ['-v'], /nginx\/(\S+)/),
      haproxy: version('haproxy', ['-v'], /version (\S+)/i),
      unbound: version('unbound', ['-V'], /version (\S+)/i),
      wrk: version('wrk', ['--version'], /wrk (\S+)/),
      dnsperf: version('dnsperf', ['-h'], /version (\S+)/i),
    },
  };
}

function osRelease() {
  try {
    return readFileSync('/etc/os-release', 'utf8').match(/^PRETTY_NAME="?([^"\n]*)/m)?.[1] ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

function version(command, args, pattern) {
  // Several of these print their version on stderr, some with a non-zero exit.
  const run = spawnSync(command, args, { encoding: 'utf8', timeout: 5000 });
  return `${run.stdout ?? ''}${run.stderr ?? ''}`.match(pattern)?.[1] ?? 'not installed';
}
