/**
 * Watch health on the proxy's registry, read from the informers at scrape time: whether each has synced,
 * whether its watch is open, how often it restarted and how many objects it holds. Plus the process
 * figures (CPU, memory, event loop) under prom-client's default names, so CPU and memory dashboards work,
 * and nodemesh_build_info.
 */
import type { InformerState } from '@nodemesh/kube-runtime';
import {
  type FamilySnapshot,
  labelText,
  type MetricsRegistry,
  processMetrics,
} from '@nodemesh/kube-runtime/metrics';
import { registerBuildInfo } from '../metrics/build-info.js';

/** Registers the informer meters, the process figures and the build info on `registry`. */
export function registerInformerMetrics(
  registry: MetricsRegistry,
  states: () => readonly InformerState[],
): void {
  registry.collector(processMetrics());
  registerBuildInfo(registry);
  registry.collector(() => informerFamilies(states()));
}

function informerFamilies(states: readonly InformerState[]): FamilySnapshot[] {
  const family = (
    name: string,
    help: string,
    type: 'gauge' | 'counter',
    value: (s: InformerState) => number,
  ): FamilySnapshot => ({
    name,
    help,
    type,
    aggregation: 'first',
    series: states.map((s) => ({ labels: labelText(['informer'], [s.name]), value: value(s) })),
  });
  return [
    family(
      'nodemesh_informer_synced',
      'Whether the informer has listed its resource once (1) or not yet (0).',
      'gauge',
      (s) => (s.synced ? 1 : 0),
    ),
    family(
      'nodemesh_informer_connected',
      'Whether the informer has a watch open (1) or is between watches (0).',
      'gauge',
      (s) => (s.connected ? 1 : 0),
    ),
    family('nodemesh_informer_objects', 'Objects the informer currently knows.', 'gauge', (s) => s.objects),
    family(
      'nodemesh_informer_restarts_total',
      'Times the informer restarted its list and watch after an error.',
      'counter',
      (s) => s.restarts,
    ),
  ];
}
