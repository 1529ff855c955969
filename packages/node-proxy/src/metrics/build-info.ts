/**
 * `nodemesh_build_info{version}`: always 1, labelled with this package's version, so `nodemesh version`
 * and dashboards can tell which build each pod runs.
 */
import { readFileSync } from 'node:fs';
import type { MetricsRegistry } from '@nodemesh/kube-runtime/metrics';

/** The version in this package's package.json (two levels up from src/ or dist/), or "unknown". */
export function packageVersion(): string {
  try {
    const parsed: unknown = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
    const version = (parsed as { version?: unknown }).version;
    return typeof version === 'string' ? version : 'unknown';
  } catch {
    return 'unknown';
  }
}

export function registerBuildInfo(registry: MetricsRegistry, version = packageVersion()): void {
  registry
    .gauge({
      name: 'nodemesh_build_info',
      help: 'Always 1; the label version is the version of the running component.',
      labelNames: ['version'],
      // One pod, one build: with workers the primary's series is the node's (never a sum).
      aggregation: 'max',
    })
    .cell(version)
    .set(1);
}
