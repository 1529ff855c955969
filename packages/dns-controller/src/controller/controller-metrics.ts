/**
 * The dns-controller's own metrics (the DNS server registers its query metrics itself). Gauges that mirror
 * state are read at scrape time from the callbacks given, so they cannot drift from the truth.
 */
import type { InformerState } from '@nodemesh/kube-runtime';
import type { PortAllocation, PortRange } from '@nodemesh/smi-types';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

export type ReconcilerName =
  | 'shadow-services'
  | 'cluster-dns'
  | 'route-status'
  | 'identity'
  | 'strict-network-policies';
const RECONCILERS: readonly ReconcilerName[] = [
  'shadow-services',
  'cluster-dns',
  'route-status',
  'identity',
  'strict-network-policies',
];

export interface ControllerMetricSources {
  readonly isLeader: () => boolean;
  readonly informers: () => readonly InformerState[];
  readonly shadowServices: () => number;
  readonly zoneRecords: () => number;
  readonly tcpRange: PortRange;
  readonly udpRange: PortRange;
}

export interface ControllerMetrics {
  readonly reconciles: Counter<'reconciler'>;
  readonly reconcileErrors: Counter<'reconciler'>;
  readonly reconcileDuration: Histogram<'reconciler'>;
  readonly shadowWrites: Counter<'operation' | 'result'>;
  readonly routeStatusWrites: Counter<'result'>;
  /** 1 when this replica, leading, last found the mesh block in place (or put it there); 0 otherwise. */
  readonly clusterDnsBlockPresent: Gauge;
  readonly servicesWithProblems: Gauge;
  /** Set after each shadow plan. */
  recordAllocations(allocations: readonly PortAllocation[]): void;
}

export function createControllerMetrics(
  registry: Registry,
  sources: ControllerMetricSources,
): ControllerMetrics {
  const allocated = { TCP: 0, UDP: 0 };
  const registers = [registry];
  new Gauge({
    name: 'nodemesh_dns_controller_is_leader',
    help: '1 when this replica holds the lease and writes shadow Services and the cluster DNS block.',
    registers,
    collect() {
      this.set(sources.isLeader() ? 1 : 0);
    },
  });
  new Gauge({
    name: 'nodemesh_dns_controller_shadow_services',
    help: 'Shadow Services in the mesh namespace, as the informer sees them.',
    registers,
    collect() {
      this.set(sources.shadowServices());
    },
  });
  new Gauge({
    name: 'nodemesh_dns_controller_zone_services',
    help: 'Services with a name in the mesh DNS zone.',
    registers,
    collect() {
      this.set(sources.zoneRecords());
    },
  });
  new Gauge({
    name: 'nodemesh_dns_controller_port_range_size',
    help: 'Proxy ports in the allocation range, by protocol.',
    labelNames: ['protocol'],
    registers,
    collect() {
      this.set({ protocol: 'tcp' }, sources.tcpRange.last - sources.tcpRange.first + 1);
      this.set({ protocol: 'udp' }, sources.udpRange.last - sources.udpRange.first + 1);
    },
  });
  new Gauge({
    name: 'nodemesh_dns_controller_allocated_ports',
    help: 'Proxy ports allocated to Service ports, by protocol (as of the leader’s last plan).',
    labelNames: ['protocol'],
    registers,
    collect() {
      this.set({ protocol: 'tcp' }, allocated.TCP);
      this.set({ protocol: 'udp' }, allocated.UDP);
    },
  });
  new Gauge({
    name: 'nodemesh_dns_controller_informer_synced',
    help: '1 once the informer has listed its resource.',
    labelNames: ['informer'],
    registers,
    collect() {
      this.reset(); // the leader-only pods informer comes and goes
      for (const state of sources.informers()) this.set({ informer: state.name }, state.synced ? 1 : 0);
    },
  });
  new Gauge({
    name: 'nodemesh_dns_controller_informer_connected',
    help: '1 while the informer has a watch open.',
    labelNames: ['informer'],
    registers,
    collect() {
      this.reset(); // the leader-only pods informer comes and goes
      for (const state of sources.informers()) this.set({ informer: state.name }, state.connected ? 1 : 0);
    },
  });
  new Gauge({
    name: 'nodemesh_dns_controller_informer_restarts',
    help: 'Times the informer restarted its list and watch after an error, since the process started.',
    labelNames: ['informer'],
    registers,
    collect() {
      this.reset(); // the leader-only pods informer comes and goes
      for (const state of sources.informers()) this.set({ informer: state.name }, state.restarts);
    },
  });
  const counters = {
    reconciles: new Counter({
      name: 'nodemesh_dns_controller_reconciles_total',
      help: 'Reconcile runs by the leader, by reconciler.',
      labelNames: ['reconciler'],
      registers,
    }),
    reconcileErrors: new Counter({
      name: 'nodemesh_dns_controller_reconcile_errors_total',
      help: 'Reconcile runs that failed and will be retried, by reconciler.',
      labelNames: ['reconciler'],
      registers,
    }),
    reconcileDuration: new Histogram({
      name: 'nodemesh_dns_controller_reconcile_duration_seconds',
      help: 'Duration of reconcile runs, by reconciler.',
      labelNames: ['reconciler'],
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10],
      registers,
    }),
    shadowWrites: new Counter({
      name: 'nodemesh_dns_controller_shadow_writes_total',
      help: 'Writes of shadow Services, by operation (create, update, delete) and result (ok, conflict, error).',
      labelNames: ['operation', 'result'],
      registers,
    }),
    routeStatusWrites: new Counter({
      name: 'nodemesh_dns_controller_route_status_writes_total',
      help: 'Writes of Gateway API route status (status.parents), by result (ok, conflict, error).',
      labelNames: ['result'],
      registers,
    }),
    clusterDnsBlockPresent: new Gauge({
      name: 'nodemesh_dns_controller_cluster_dns_block_present',
      help: '1 when the cluster DNS forwards the mesh zone to this controller; only the leader checks (0 on standbys).',
      registers,
      collect() {
        if (!sources.isLeader()) this.set(0);
      },
    }),
    servicesWithProblems: new Gauge({
      name: 'nodemesh_dns_controller_services_with_problems',
      help: 'User Services with a Warning in the last plan (invalid annotations, ports exhausted, …).',
      registers,
    }),
    recordAllocations(allocations) {
      allocated.TCP = allocations.filter((a) => a.protocol === 'TCP').length;
      allocated.UDP = allocations.filter((a) => a.protocol === 'UDP').length;
    },
  } satisfies ControllerMetrics;
  // Series exist from the start (at 0), so rate() and alerts see "no errors" rather than "no data".
  for (const reconciler of RECONCILERS) {
    counters.reconciles.inc({ reconciler }, 0);
    counters.reconcileErrors.inc({ reconciler }, 0);
  }
  return counters;
}

/** Runs one reconcile, counting it and its failure; rethrows so the SyncRunner retries. */
export async function measured(
  metrics: ControllerMetrics,
  reconciler: ReconcilerName,
  run: () => Promise<void>,
): Promise<void> {
  const end = metrics.reconcileDuration.startTimer({ reconciler });
  metrics.reconciles.inc({ reconciler });
  try {
    await run();
  } catch (error) {
    metrics.reconcileErrors.inc({ reconciler });
    throw error;
  } finally {
    end();
  }
}
