/** Scrapes every node-proxy's /metrics through the API server's pod proxy (RBAC: get pods/proxy). */
import type { Cluster } from '../kube/cluster.js';
import { viaPodProxy } from '../kube/pod-http.js';
import { NODE_PROXY_SELECTOR, readMeshPods } from '../mesh/mesh-pods.js';
import { parseExposition } from './exposition.js';
import { countersOf, type ProxyScrape, type StatKind } from './traffic.js';

export interface ScrapeRound {
  readonly scrapes: ProxyScrape[];
  /** Proxies that could not be scraped, with why. */
  readonly failures: string[];
}

export async function scrapeProxies(
  cluster: Cluster,
  meshNamespace: string,
  kind: StatKind,
): Promise<ScrapeRound> {
  const pods = readMeshPods(
    await cluster.list(`/api/v1/namespaces/${encodeURIComponent(meshNamespace)}/pods`, {
      label: NODE_PROXY_SELECTOR,
    }),
  ).filter((pod) => pod.phase === 'Running');
  const scrapes: ProxyScrape[] = [];
  const failures: string[] = [];
  await Promise.all(
    pods.map(async (pod) => {
      const answer = await viaPodProxy(cluster, pod, pod.adminPort, '/metrics').catch((error: unknown) => ({
        status: 0,
        text: error instanceof Error ? error.message : String(error),
      }));
      if (answer.status !== 200) {
        failures.push(
          `${pod.name}: ${answer.status === 0 ? answer.text : `/metrics answered ${answer.status}`}`,
        );
        return;
      }
      const { samples } = parseExposition(answer.text);
      const start = samples.find((s) => s.name === 'process_start_time_seconds')?.value;
      scrapes.push({
        pod: pod.name,
        at: Date.now(),
        startedAt: start !== undefined && Number.isFinite(start) ? start : undefined,
        rows: countersOf(kind, samples),
      });
    }),
  );
  return { scrapes, failures: failures.sort() };
}
