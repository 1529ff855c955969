/**
 * The process figures dashboards read (prom-client's default names, so dashboards and alerts work
 * unchanged): CPU, resident memory, file descriptors, V8 heap and event loop delay. Read when scraped; the
 * event loop delay comes from Node's own sampler (perf_hooks), reset after each scrape. Aggregations say how
 * the figures of several worker processes add up: CPU, memory and descriptors sum, delays take the worst,
 * start time and version come from the process that serves the scrape.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { Aggregation, FamilySnapshot } from './snapshot.js';

const gauge = (
  name: string,
  help: string,
  value: number,
  aggregation: Aggregation = 'sum',
  labels = '',
): FamilySnapshot => ({ name, help, type: 'gauge', aggregation, series: [{ labels, value }] });

const counter = (name: string, help: string, value: number): FamilySnapshot => ({
  name,
  help,
  type: 'counter',
  aggregation: 'sum',
  series: [{ labels: '', value }],
});

/** Starts the event loop sampler and returns the collector of this process's figures. */
export function processMetrics(): () => FamilySnapshot[] {
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  const startSeconds = Math.round((performance.timeOrigin ?? Date.now()) / 1000);
  const maxFds = readMaxFds();
  const [major = '0', minor = '0', patch = '0'] = process.versions.node.split('.');
  const versionLabels = `version="${process.version}",major="${major}",minor="${minor}",patch="${patch}"`;
  return () => {
    const cpu = process.cpuUsage();
    const memory = process.memoryUsage();
    const seconds = (nanos: number) => (Number.isFinite(nanos) ? nanos / 1e9 : 0);
    const families: FamilySnapshot[] = [
      counter('process_cpu_user_seconds_total', 'User CPU time of the process, in seconds.', cpu.user / 1e6),
      counter(
        'process_cpu_system_seconds_total',
        'System CPU time of the process, in seconds.',
        cpu.system / 1e6,
      ),
      counter(
        'process_cpu_seconds_total',
        'User and system CPU time of the process, in seconds.',
        (cpu.user + cpu.system) / 1e6,
      ),
      gauge(
        'process_start_time_seconds',
        'When the process started, in seconds since the epoch.',
        startSeconds,
        'first',
      ),
      gauge('process_resident_memory_bytes', 'Resident memory of the process, in bytes.', memory.rss),
      gauge('process_open_fds', 'File descriptors the process holds open.', openFds()),
      gauge('process_max_fds', 'The most file descriptors the process may open.', maxFds, 'first'),
      gauge('nodejs_heap_size_total_bytes', 'V8 heap size, in bytes.', memory.heapTotal),
      gauge('nodejs_heap_size_used_bytes', 'V8 heap in use, in bytes.', memory.heapUsed),
      gauge(
        'nodejs_external_memory_bytes',
        'Memory of C++ objects bound to JavaScript, in bytes.',
        memory.external,
      ),
      gauge(
        'nodejs_eventloop_lag_min_seconds',
        'Shortest event loop delay since the last scrape.',
        seconds(delay.min),
        'max',
      ),
      gauge(
        'nodejs_eventloop_lag_max_seconds',
        'Longest event loop delay since the last scrape.',
        seconds(delay.max),
        'max',
      ),
      gauge(
        'nodejs_eventloop_lag_mean_seconds',
        'Mean event loop delay since the last scrape.',
        seconds(delay.mean),
        'max',
      ),
      gauge(
        'nodejs_eventloop_lag_p50_seconds',
        'Median event loop delay since the last scrape.',
        seconds(delay.percentile(50)),
        'max',
      ),
      gauge(
        'nodejs_eventloop_lag_p90_seconds',
        '90th percentile of the event loop delay since the last scrape.',
        seconds(delay.percentile(90)),
        'max',
      ),
      gauge(
        'nodejs_eventloop_lag_p99_seconds',
        '99th percentile of the event loop delay since the last scrape.',
        seconds(delay.percentile(99)),
        'max',
      ),
      gauge('nodejs_version_info', 'The Node.js version, in labels.', 1, 'first', versionLabels),
    ];
    delay.reset();
    return families;
  };
}

/** Open descriptors, from /proc (0 where there is no /proc). */
function openFds(): number {
  try {
    // The directory listing itself holds one descriptor while it runs.
    return readdirSync('/proc/self/fd').length - 1;
  } catch {
    return 0;
  }
}

function readMaxFds(): number {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('Max open files'));
    const soft = Number(line?.split(/\s+/)[3]);
    return Number.isFinite(soft) ? soft : 0;
  } catch {
    return 0;
  }
}
