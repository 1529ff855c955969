/**
 * Watch health on the proxy's registry, read from the informers at scrape time: whether each has synced,
 * whether its watch is open, how often it restarted and how many objects it holds. Plus prom-client's
 * default process metrics, so CPU and memory dashboards work, and nodemesh_build_info.
 */
import type { InformerState } from '@nodemesh/kube-runtime';
import { Counter, collectDefaultMetrics, Gauge, type Registry } from 'prom-client';
import { registerBuildInfo } from '../metrics/build-info.js';

/** Registers the informer meters and the default process metrics on `registry`. */
export function registerInformerMetrics(registry: Registry, states: () => readonly InformerState[]): void {
  collectDefaultMetrics({ register: registry });
  registerBuildInfo(registry);
  const labelNames = ['informer'] as const;
  new Gauge({
    name: 'nodemesh_informer_synced',
    help: 'Whether the informer has listed its resource once (1) or not yet (0).',
    labelNames,
    registers: [registry],
    collect() {
      for (const s of states()) this.set({ informer: s.name }, s.synced ? 1 : 0);
    },
  });
  new Gauge({
    name: 'nodemesh_informer_connected',
    help: 'Whether the informer has a watch open (1) or is between watches (0).',
    labelNames,
    registers: [registry],
    collect() {
      for (const s of states()) this.set({ informer: s.name }, s.connected ? 1 : 0);
    },
  });
  new Gauge({
    name: 'nodemesh_informer_objects',
    help: 'Objects the informer currently knows.',
    labelNames,
    registers: [registry],
    collect() {
      for (const s of states()) this.set({ informer: s.name }, s.objects);
    },
  });
  new Counter({
    name: 'nodemesh_informer_restarts_total',
    help: 'Times the informer restarted its list and watch after an error.',
    labelNames,
    registers: [registry],
    collect() {
      this.reset();
      for (const s of states()) this.inc({ informer: s.name }, s.restarts);
    },
  });
}
