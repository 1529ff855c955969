/**
 * A real Prometheus (Debian's `prometheus` package) in the control namespace, scraping every node-proxy and
 * dns-controller replica once a second. Optional: the suite skips its scenario, saying why, when the binary
 * is absent (CI does not install it).
 */
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { curl, type ManagedProcess, waitForPort } from '../../harness/index.js';
import type { MeshCluster } from './mesh-cluster.js';
import { ADMIN_PORT } from './mesh-cluster.js';

export const PROMETHEUS_PORT = 9091;

/** The prometheus binary on PATH (or in /usr/bin), or undefined. */
export function findPrometheus(): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/bin', '/usr/sbin'].filter(Boolean);
  return dirs.map((dir) => join(dir, 'prometheus')).find((file) => existsSync(file));
}

export function prometheusSkipReason(): string | undefined {
  return findPrometheus() === undefined
    ? 'prometheus is not installed (apt-get install prometheus; .ci/run does not install it)'
    : undefined;
}

/** The scrape configuration: one job per component, every target by its address in the cluster. */
/** One scrape target, labelled as deploy/prometheus/prometheus.yml labels a pod found through the API. */
export interface ScrapeTarget {
  readonly address: string;
  readonly pod: string;
  readonly node: string;
}

/**
 * The scrape configuration: static targets, but with the job names and labels (`namespace`, `pod`, `node`)
 * that the shipped kubernetes_sd configuration gives, so the shipped dashboards' queries work unchanged.
 */
export function prometheusConfig(proxies: readonly ScrapeTarget[], dns: readonly ScrapeTarget[]): string {
  const job = (name: string, targets: readonly ScrapeTarget[]) =>
    [
      `  - job_name: ${name}`,
      '    scrape_interval: 1s',
      '    scrape_timeout: 1s',
      '    static_configs:',
      ...targets.flatMap((t) => [
        `      - targets: ['${t.address}']`,
        `        labels: { namespace: nodemesh, pod: '${t.pod}', node: '${t.node}' }`,
      ]),
    ].join('\n');
  return [
    'global:',
    '  scrape_interval: 1s',
    '  evaluation_interval: 1s',
    'scrape_configs:',
    job('nodemesh-node-proxy', proxies),
    job('nodemesh-dns-controller', dns),
    '',
  ].join('\n');
}

export interface RunningPrometheus {
  readonly process: ManagedProcess;
  /** Runs an instant query from inside the control namespace; the `data.result` array. */
  query(promql: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]>;
}

export async function startPrometheus(mesh: MeshCluster): Promise<RunningPrometheus> {
  const binary = findPrometheus();
  if (binary === undefined) throw new Error('prometheus is not installed');
  const ctl = mesh.cluster.controlPlane;
  const dir = join(mesh.cluster.runDir, 'prometheus');
  await mkdir(dir, { recursive: true });
  const config = join(dir, 'prometheus.yml');
  await writeFile(
    config,
    prometheusConfig(
      mesh.cluster.nodes.map((n) => ({
        address: `${n.ip}:${ADMIN_PORT}`,
        pod: `node-proxy-${n.name}`,
        node: n.name,
      })),
      [...mesh.dnsReplicas.values()].map((r) => ({
        address: `${r.pod.ip}:${ADMIN_PORT}`,
        pod: r.pod.name,
        node: r.pod.node,
      })),
    ),
  );
  const started = await mesh.cluster.start(ctl, {
    name: 'prometheus',
    command: binary,
    args: [
      `--config.file=${config}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=${ctl.ip}:${PROMETHEUS_PORT}`,
      '--storage.tsdb.retention.time=1h',
    ],
  });
  await waitForPort(ctl.ns, 'tcp', PROMETHEUS_PORT, { process: started, timeoutMs: 30_000 });
  return {
    process: started,
    async query(promql) {
      const url = `http://${ctl.ip}:${PROMETHEUS_PORT}/api/v1/query?query=${encodeURIComponent(promql)}`;
      const result = await curl(ctl.ns, url, { timeoutSec: 3 });
      const body = JSON.parse(result.stdout) as {
        status: string;
        data?: { result?: { metric: Record<string, string>; value: [number, string] }[] };
      };
      if (body.status !== 'success') throw new Error(`query ${promql}: ${result.stdout.slice(0, 300)}`);
      return body.data?.result ?? [];
    },
  };
}
