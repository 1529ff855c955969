/**
 * PromQL checks for the dashboards and alerts: parse with the Prometheus project's own Lezer grammar, report
 * syntax errors, and list the metric names an expression reads.
 */

import { type Dirent, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { parser } from '@prometheus-io/lezer-promql';
import { REPO_ROOT } from './manifests.js';

export interface PromqlAnalysis {
  /** `offset: text` of every error node; empty when the expression parses. */
  readonly errors: string[];
  readonly metrics: string[];
}

/** Grafana's interval macros are not PromQL; they become a plain duration before parsing. */
export const substituteGrafanaMacros = (expr: string): string =>
  expr
    .replace(/\$__(rate_interval|interval|range)\b/g, '5m')
    .replace(/\$\{__(rate_interval|interval|range)\}/g, '5m');

export function analysePromql(expr: string): PromqlAnalysis {
  const errors: string[] = [];
  const metrics = new Set<string>();
  const tree = parser.parse(expr);
  tree.iterate({
    enter(node) {
      if (node.type.isError)
        errors.push(`${node.from}: ${JSON.stringify(expr.slice(node.from, node.to + 10))}`);
      if (node.name === 'Identifier' && node.node.parent?.name === 'VectorSelector') {
        metrics.add(expr.slice(node.from, node.to));
      }
      if (node.name === 'UnquotedLabelMatcher') {
        const matcher = expr.slice(node.from, node.to);
        const name = /^__name__\s*=\s*"([^"]+)"$/.exec(matcher)?.[1];
        if (name !== undefined) metrics.add(name);
      }
    },
  });
  return { errors, metrics: [...metrics].sort() };
}

/**
 * Metric names as string literals in the components' sources (tests excluded): what the code exports. The
 * process figures the node-proxy writes itself (`process_*`, `nodejs_*`) count too.
 */
export function metricNamesInSources(): Set<string> {
  const names = new Set<string>();
  const packagesDir = join(REPO_ROOT, 'packages');
  for (const pkg of readdirSync(packagesDir)) {
    for (const file of typeScriptFiles(join(packagesDir, pkg, 'src'))) {
      for (const match of readFileSync(file, 'utf8').matchAll(
        /['"`]((?:nodemesh|process|nodejs)_[a-z0-9_]+)['"`]/g,
      )) {
        if (match[1] !== undefined) names.add(match[1]);
      }
    }
  }
  return names;
}

function typeScriptFiles(dir: string): string[] {
  let entries: Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  return entries.flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return typeScriptFiles(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') ? [path] : [];
  });
}

/** The part of prom-client used here (it is a dependency of the components, not of e2e). */
interface PromClient {
  Registry: new () => { getMetricsAsArray(): Array<{ name: string }>; clear(): void };
  collectDefaultMetrics(options: { register: unknown }): void;
}

/**
 * prom-client's default process and Node.js metrics, from the version the dns-controller depends on (the
 * node-proxy exports the ones its dashboard reads under the same names; see metricNamesInSources).
 */
export function promClientDefaultMetricNames(): Set<string> {
  const requireFromController = createRequire(join(REPO_ROOT, 'packages', 'dns-controller', 'package.json'));
  const promClient = requireFromController('prom-client') as PromClient;
  const registry = new promClient.Registry();
  promClient.collectDefaultMetrics({ register: registry });
  const names = new Set(registry.getMetricsAsArray().map((metric) => metric.name));
  registry.clear();
  return names;
}

/** The name a series belongs to: histogram and summary series carry a suffix. */
export const baseMetricName = (name: string): string => name.replace(/_(bucket|sum|count)$/, '');
