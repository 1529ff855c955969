/**
 * `nodemesh_build_info{version}`: always 1, labelled with this package's version, so `nodemesh version`
 * and dashboards can tell which build each pod runs.
 */
import { readFileSync } from 'node:fs';
import { Gauge, type Registry } from 'prom-client';

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

export function registerBuildInfo(registry: Registry, version = packageVersion()): void {
  new Gauge({
    name: 'nodemesh_build_info',
    help: 'Always 1; the label version is the version of the running component.',
    labelNames: ['version'],
    registers: [registry],
  }).set({ version }, 1);
}
