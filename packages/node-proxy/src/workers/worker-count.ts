/**
 * The default number of data-plane workers: the container's CPU limit (cgroup v2 `cpu.max`, or v1
 * `cpu.cfs_quota_us` / `cpu.cfs_period_us`), rounded up, else every CPU the process may run on.
 */
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';

/** Reads the CPU limit from the texts of the cgroup files; undefined when there is none (`max`, -1, absent). */
export function cpuLimit(files: {
  readonly cpuMax?: string | undefined;
  readonly cfsQuota?: string | undefined;
  readonly cfsPeriod?: string | undefined;
}): number | undefined {
  const [quotaText, periodText] = files.cpuMax?.trim().split(/\s+/) ?? [
    files.cfsQuota?.trim(),
    files.cfsPeriod?.trim(),
  ];
  const quota = Number(quotaText);
  const period = Number(periodText ?? 100_000);
  if (!Number.isFinite(quota) || quota <= 0 || !Number.isFinite(period) || period <= 0) return undefined;
  return quota / period;
}

/** Workers for a limit of `limit` CPUs (undefined: no limit) on a machine with `parallelism` usable CPUs. */
export function workersFor(limit: number | undefined, parallelism: number): number {
  const cpus = limit === undefined ? parallelism : Math.min(Math.ceil(limit - 1e-9), parallelism);
  return Math.max(1, Math.floor(cpus));
}

/** The default for `--workers` on this machine. */
export function defaultWorkerCount(): number {
  const read = (path: string) => {
    try {
      return readFileSync(path, 'utf8');
    } catch {
      return undefined;
    }
  };
  const cpuMax = read('/sys/fs/cgroup/cpu.max');
  const limit =
    cpuMax !== undefined
      ? cpuLimit({ cpuMax })
      : cpuLimit({
          cfsQuota: read('/sys/fs/cgroup/cpu/cpu.cfs_quota_us'),
          cfsPeriod: read('/sys/fs/cgroup/cpu/cpu.cfs_period_us'),
        });
  return workersFor(limit, availableParallelism());
}
