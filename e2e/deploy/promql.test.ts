/**
 * Every PromQL expression in the dashboards and alerts parses, and reads only metrics that exist: exported by
 * the components' code (string literals in packages/<pkg>/src), prom-client's default metrics, or produced
 * outside Nodemesh (listed below). PENDING lists what docs/components.md promises but the code does not export yet.
 */
import { describe, expect, it } from 'vitest';
import { alertPromql, dashboardPromql, readAlertRules, readDashboards } from './observability-files.js';
import {
  analysePromql,
  baseMetricName,
  metricNamesInSources,
  promClientDefaultMetricNames,
} from './promql.js';

/**
 * Metrics promised by docs/components.md that no source file exports yet. When a component starts exporting one,
 * the test "pending metrics are still missing" fails: remove the name here. If the code chose another name,
 * rename it in deploy/grafana/build-dashboards.mjs and deploy/prometheus/alerts.yaml instead.
 */
const PENDING = new Set<string>([]);

/** Produced by Prometheus itself (`up`) or by kube-state-metrics, which the DaemonSet alert needs. */
const EXTERNAL = new Set([
  'up',
  'kube_daemonset_status_desired_number_scheduled',
  'kube_daemonset_status_number_available',
]);

const sources = [...readDashboards().flatMap(dashboardPromql), ...alertPromql(readAlertRules())];
const exported = new Set([...metricNamesInSources(), ...promClientDefaultMetricNames()]);

describe('PromQL in deploy/grafana and deploy/prometheus/alerts.yaml', () => {
  it('finds the expressions', () => {
    expect(sources.length).toBeGreaterThan(40);
  });

  it('every expression parses', () => {
    const failures = sources.flatMap(({ where, expr }) =>
      analysePromql(expr).errors.map((error) => `${where}: syntax error at ${error}`),
    );
    expect(failures).toEqual([]);
  });

  it('every metric read is exported by the code, a prom-client default, external, or pending', () => {
    const unknown = sources.flatMap(({ where, expr }) =>
      analysePromql(expr)
        .metrics.filter((name) => !known(name))
        .map((name) => `${where}: ${name}`),
    );
    expect(unknown, 'metrics neither exported nor listed as PENDING or EXTERNAL').toEqual([]);
  });

  it('pending metrics are still missing from the code (remove the exported ones from PENDING)', () => {
    if (PENDING.size > 0) console.info(`metrics promised but not exported yet: ${[...PENDING].join(', ')}`);
    expect([...PENDING].filter((name) => exported.has(name))).toEqual([]);
  });

  it('every pending metric is used somewhere (remove the unused ones from PENDING)', () => {
    const used = new Set(sources.flatMap(({ expr }) => analysePromql(expr).metrics.map(baseMetricName)));
    expect([...PENDING].filter((name) => !used.has(name))).toEqual([]);
  });
});

describe('the PromQL checks themselves', () => {
  it('report syntax errors', () => {
    expect(analysePromql('rate(foo_total[5m)').errors).not.toEqual([]);
    expect(analysePromql('sum by (a (foo)').errors).not.toEqual([]);
    expect(analysePromql('not_a_function(foo)').errors).not.toEqual([]);
  });

  it('find metric names in selectors, matrices and __name__ matchers, not in labels or functions', () => {
    const { errors, metrics } = analysePromql(
      'histogram_quantile(0.99, sum by (le) (rate(a_seconds_bucket{job="x"}[5m]))) / on (pod) group_left b_total + {__name__="c"}',
    );
    expect(errors).toEqual([]);
    expect(metrics).toEqual(['a_seconds_bucket', 'b_total', 'c']);
  });

  it('see the metrics of prom-client and accept histogram suffixes', () => {
    expect(exported.has('process_cpu_seconds_total')).toBe(true);
    expect(exported.has('process_resident_memory_bytes')).toBe(true);
    expect(known('nodejs_gc_duration_seconds_bucket')).toBe(true);
    expect(known('nodemesh_no_such_metric')).toBe(false);
  });
});

function known(name: string): boolean {
  return [name, baseMetricName(name)].some((n) => exported.has(n) || PENDING.has(n) || EXTERNAL.has(n));
}
