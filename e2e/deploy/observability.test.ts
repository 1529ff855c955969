/**
 * The Grafana dashboards, the Prometheus scrape configuration, the PodMonitors and the alert rules: each has
 * what docs/observability.md promises, and they agree with the manifests (labels, port names, job names).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { DEPLOY_DIR, expandKustomization, isRecord, podSpec, readYamlObjects } from './manifests.js';
import {
  type Dashboard,
  dashboardPanels,
  dashboardPromql,
  GRAFANA_DIR,
  PROMETHEUS_DIR,
  readAlertRules,
  readDashboards,
  records,
  templateVariables,
} from './observability-files.js';

const dashboards = readDashboards();
/** Grafana's reference to the `datasource` variable (built so it is not mistaken for a JS template). */
const GRAFANA_DATASOURCE = ['$', '{datasource}'].join('');
const dashboard = (uid: string): Dashboard => {
  const found = dashboards.find((d) => d.json.uid === uid);
  if (found === undefined) throw new Error(`no dashboard with uid ${uid}`);
  return found;
};
const exprs = (d: Dashboard): string =>
  dashboardPromql(d)
    .map((s) => s.expr)
    .join('\n');
const variableNames = (d: Dashboard): string[] => templateVariables(d).map((v) => String(v.name));

describe('Grafana dashboards', () => {
  it('are exactly what deploy/grafana/build-dashboards.mjs writes', () => {
    expect(() =>
      execFileSync(process.execPath, [join(GRAFANA_DIR, 'build-dashboards.mjs'), '--check'], {
        stdio: 'pipe',
      }),
    ).not.toThrow();
  });

  it('are the five dashboards, with stable, unique uids and titles', () => {
    expect(dashboards.map((d) => d.json.uid).sort()).toEqual([
      'nodemesh-dns-controller',
      'nodemesh-node-proxy',
      'nodemesh-overview',
      'nodemesh-service',
      'nodemesh-tcp-udp',
    ]);
    expect(new Set(dashboards.map((d) => d.json.title)).size).toBe(dashboards.length);
  });

  it.each(dashboards.map((d) => [d.file, d] as const))(
    '%s: a datasource variable drives every query',
    (_f, d) => {
      const datasource = templateVariables(d).find((v) => v.name === 'datasource');
      expect(datasource).toMatchObject({ type: 'datasource', query: 'prometheus' });
      const uses = [
        ...dashboardPanels(d).filter((p) => p.type !== 'row'),
        ...dashboardPanels(d).flatMap((p) => records(p.targets)),
        ...templateVariables(d).filter((v) => v.type === 'query'),
      ];
      expect(uses.length).toBeGreaterThan(0);
      for (const use of uses) expect(use.datasource).toEqual({ type: 'prometheus', uid: GRAFANA_DATASOURCE });
    },
  );

  it.each(dashboards.map((d) => [d.file, d] as const))(
    '%s: panels have unique ids and do not overlap',
    (_f, d) => {
      const panels = dashboardPanels(d);
      expect(new Set(panels.map((p) => p.id)).size).toBe(panels.length);
      const cells = new Set<string>();
      for (const panel of panels) {
        const { x, y, w, h } = isRecord(panel.gridPos) ? panel.gridPos : {};
        if (
          typeof x !== 'number' ||
          typeof y !== 'number' ||
          typeof w !== 'number' ||
          typeof h !== 'number'
        ) {
          throw new Error(`${d.file}: panel ${String(panel.title)} has no gridPos`);
        }
        expect(x + w, String(panel.title)).toBeLessThanOrEqual(24);
        for (let col = x; col < x + w; col++) {
          for (let line = y; line < y + h; line++) {
            const cell = `${col},${line}`;
            expect(cells.has(cell), `${d.file}: panel "${String(panel.title)}" overlaps another`).toBe(false);
            cells.add(cell);
          }
        }
      }
    },
  );

  it('traffic dashboards filter by namespace and service', () => {
    for (const uid of ['nodemesh-overview', 'nodemesh-service', 'nodemesh-tcp-udp', 'nodemesh-node-proxy']) {
      expect(variableNames(dashboard(uid)), uid).toEqual(expect.arrayContaining(['namespace', 'service']));
      expect(exprs(dashboard(uid)), uid).toContain('destination_service=~"$service"');
    }
  });

  it('mesh overview: requests per second, success rate and p50/p95/p99 per Service', () => {
    const text = exprs(dashboard('nodemesh-overview'));
    expect(text).toContain(
      'sum by (destination_namespace, destination_service) (rate(nodemesh_http_requests_total',
    );
    expect(text).toContain('status_class!~"5xx|unknown"');
    for (const q of ['0.5', '0.95', '0.99']) {
      expect(text).toContain(
        `histogram_quantile(${q}, sum by (destination_namespace, destination_service, le) (rate(nodemesh_http_request_duration_seconds_bucket`,
      );
    }
  });

  it('mesh overview: the mTLS vs plaintext share per namespace, and who is still called in plaintext', () => {
    const panel = dashboardPanels(dashboard('nodemesh-overview')).find(
      (p) => p.title === 'mTLS vs plaintext share per namespace',
    );
    const expr = String(records(panel?.targets)[0]?.expr);
    expect(expr).toContain('sum by (destination_namespace, transport) (rate(nodemesh_mesh_calls_total{');
    expect(expr).toContain('/ ignoring (transport) group_left sum by (destination_namespace)');
    expect(exprs(dashboard('nodemesh-overview'))).toContain('transport="plaintext"');
  });

  it('service detail: by source, by status class, latency', () => {
    const text = exprs(dashboard('nodemesh-service'));
    expect(text).toContain('sum by (source_namespace, source_workload)');
    expect(text).toContain('sum by (status_class)');
    expect(text).toContain('nodemesh_http_request_duration_seconds_bucket');
  });

  it('TCP and UDP, node-proxy resources and DNS controller read their metrics', () => {
    const expectations: Record<string, string[]> = {
      'nodemesh-tcp-udp': [
        'nodemesh_tcp_connections_total',
        'nodemesh_tcp_open_connections',
        'nodemesh_tcp_bytes_total',
        'nodemesh_udp_packets_total',
      ],
      'nodemesh-node-proxy': [
        'process_cpu_seconds_total',
        'process_resident_memory_bytes',
        'nodemesh_tcp_open_connections',
        'nodemesh_snapshot_version',
        'nodemesh_snapshot_build_duration_seconds_bucket',
      ],
      'nodemesh-dns-controller': [
        'sum by (type) (rate(nodemesh_dns_queries_total',
        'sum by (rcode) (rate(nodemesh_dns_queries_total',
        'nodemesh_dns_answer_duration_seconds_bucket',
        'nodemesh_dns_controller_is_leader',
        'nodemesh_dns_controller_shadow_services',
        'nodemesh_dns_controller_allocated_ports',
      ],
    };
    for (const [uid, needles] of Object.entries(expectations)) {
      const text = exprs(dashboard(uid));
      for (const needle of needles) expect(text, uid).toContain(needle);
    }
  });
});

const objects = expandKustomization(DEPLOY_DIR, { withoutCrds: true });
const workloads = objects.filter((o) => o.kind === 'Deployment' || o.kind === 'DaemonSet');
const podLabels = (component: string): Record<string, unknown> => {
  const workload = workloads.find((w) => w.metadata.labels?.['app.kubernetes.io/component'] === component);
  const spec = workload?.spec;
  const template = isRecord(spec) && isRecord(spec.template) ? spec.template : {};
  return isRecord(template.metadata) && isRecord(template.metadata.labels) ? template.metadata.labels : {};
};
const containerPortNames = (component: string): unknown[] => {
  const workload = workloads.find((w) => w.metadata.labels?.['app.kubernetes.io/component'] === component);
  const pod = workload === undefined ? undefined : podSpec(workload);
  return records(pod?.containers).flatMap((c) => records(c.ports).map((p) => p.name));
};

describe('Prometheus scrape configuration', () => {
  const config: unknown = parse(readFileSync(join(PROMETHEUS_DIR, 'prometheus.yml'), 'utf8'));
  const job = isRecord(config)
    ? records(config.scrape_configs).find((c) => c.job_name === 'nodemesh')
    : undefined;
  const relabels = records(job?.relabel_configs);
  const keep = (source: string): RegExp => {
    const rule = relabels.find(
      (r) => r.action === 'keep' && Array.isArray(r.source_labels) && r.source_labels.join() === source,
    );
    if (typeof rule?.regex !== 'string') throw new Error(`no keep rule on ${source}`);
    return new RegExp(`^(?:${rule.regex})$`);
  };

  it('discovers pods in the nodemesh namespace through the Kubernetes API', () => {
    expect(records(job?.kubernetes_sd_configs)).toEqual([
      { role: 'pod', namespaces: { names: ['nodemesh'] } },
    ]);
    expect(isRecord(config) ? config.rule_files : undefined).toEqual(['alerts.yaml']);
  });

  it('keeps exactly the pods and port of both components, as the manifests label them', () => {
    for (const component of ['node-proxy', 'dns-controller']) {
      const labels = podLabels(component);
      expect(
        keep('__meta_kubernetes_pod_label_app_kubernetes_io_part_of').test(
          String(labels['app.kubernetes.io/part-of']),
        ),
      ).toBe(true);
      expect(
        keep('__meta_kubernetes_pod_label_app_kubernetes_io_component').test(
          String(labels['app.kubernetes.io/component']),
        ),
      ).toBe(true);
      expect(containerPortNames(component)).toContain('admin');
    }
    expect(keep('__meta_kubernetes_pod_label_app_kubernetes_io_component').test('cleanup')).toBe(false);
    expect(keep('__meta_kubernetes_pod_container_port_name').test('admin')).toBe(true);
    expect(keep('__meta_kubernetes_pod_container_port_name').test('dns-udp')).toBe(false);
  });

  it('names the jobs nodemesh-<component>, as the dashboards and alerts expect', () => {
    expect(relabels).toContainEqual({
      source_labels: ['__meta_kubernetes_pod_label_app_kubernetes_io_component'],
      target_label: 'job',
      replacement: 'nodemesh-$1',
    });
  });
});

describe('PodMonitors', () => {
  const monitors = readYamlObjects(join(PROMETHEUS_DIR, 'podmonitors.yaml'));

  it('select the pods of each component on their admin port, with the same job names', () => {
    expect(monitors.map((m) => m.metadata.name).sort()).toEqual([
      'nodemesh-dns-controller',
      'nodemesh-node-proxy',
    ]);
    for (const monitor of monitors) {
      const spec = isRecord(monitor.spec) ? monitor.spec : {};
      const selector =
        isRecord(spec.selector) && isRecord(spec.selector.matchLabels) ? spec.selector.matchLabels : {};
      const component = String(selector['app.kubernetes.io/component']);
      expect(podLabels(component)).toMatchObject(selector);
      const [endpoint] = records(spec.podMetricsEndpoints);
      expect(endpoint).toMatchObject({ port: 'admin', path: '/metrics' });
      expect(records(endpoint?.relabelings)).toContainEqual(
        expect.objectContaining({ targetLabel: 'job', replacement: 'nodemesh-$1' }),
      );
    }
  });
});

describe('alert rules', () => {
  const rules = readAlertRules();
  const rule = (alert: string) => {
    const found = rules.find((r) => r.alert === alert);
    if (found === undefined) throw new Error(`no alert ${alert}`);
    return found;
  };

  it('have a duration, a severity and a summary each', () => {
    expect(rules.length).toBeGreaterThanOrEqual(5);
    for (const r of rules) {
      expect(r.for, r.alert).toMatch(/^\d+[smh]$/);
      expect(['warning', 'critical'], r.alert).toContain(r.labels.severity);
      expect(typeof r.annotations.summary, r.alert).toBe('string');
      expect(typeof r.annotations.description, r.alert).toBe('string');
    }
    expect(new Set(rules.map((r) => r.alert)).size).toBe(rules.length);
  });

  it('cover what the mesh needs watching', () => {
    expect(rule('NodemeshHighErrorRate').expr).toContain('nodemesh_http_requests_total{status_class="5xx"}');
    expect(rule('NodemeshHighLatencyP99').expr).toContain('histogram_quantile(0.99');
    expect(rule('NodemeshNodeProxyDown').expr).toContain('up{job="nodemesh-node-proxy"}');
    expect(rule('NodemeshNodeProxyMissing').expr).toContain('daemonset="nodemesh-node-proxy"');
    expect(rule('NodemeshClusterDnsBlockMissing').expr).toContain(
      'nodemesh_dns_controller_cluster_dns_block_present',
    );
    expect(rule('NodemeshDnsControllerNoLeader').expr).toContain('absent(nodemesh_dns_controller_is_leader)');
  });

  it('name the DaemonSet the manifests install', () => {
    expect(workloads.map((w) => `${w.kind}/${w.metadata.name}`)).toContain('DaemonSet/nodemesh-node-proxy');
  });
});
