/**
 * Pure pieces of the convergence section: the objects it creates through the API server (as kubectl, the
 * kubelet and the dns-controller would), the writes it times, and how a stream of answers becomes "the
 * proxy routes by the change now". No I/O: the prober and the section are the shell around these.
 */
import { percentile, sortedCopy } from './stats.mjs';

/** The namespace, node and names the section uses; Hosts are `<svc>.<ns>.mesh`. */
export const CONVERGENCE = {
  namespace: 'bench',
  meshNamespace: 'nodemesh',
  node: 'bench-node',
  splitRoot: 'orders',
  splitName: 'orders-split',
  readinessService: 'web',
  /** The pod of `web` whose readiness flips (its other pod, `web-a`, stays ready). */
  flippedPod: 'web-b',
};

/** A ClusterIP Service with one HTTP port 80 → `targetPort` (a number, or a container port's name). */
export function serviceManifest(name, selector, targetPort) {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: CONVERGENCE.namespace },
    spec: { selector, ports: [{ name: 'http', port: 80, protocol: 'TCP', targetPort }] },
  };
}

/**
 * A Running pod with an IP and a container port named `http`, as a kubelet would report it. It lives on
 * another node than the proxy's: it is a backend, not a caller.
 */
export function podManifest(name, labels, port, ready = true) {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: CONVERGENCE.namespace, labels },
    spec: {
      nodeName: 'bench-backends',
      containers: [{ name: 'app', image: 'app', ports: [{ name: 'http', containerPort: port }] }],
    },
    status: {
      phase: 'Running',
      podIP: '127.0.0.1',
      podIPs: [{ ip: '127.0.0.1' }],
      conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }],
    },
  };
}

/** The merge patch of a pod's status that flips its Ready condition (what the kubelet writes). */
export function podReadyPatch(ready) {
  return { status: { conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] } };
}

/** Backend weights of the split root `orders`: all traffic to `to` (`v1` or `v2`), none to the other. */
export function splitBackends(to) {
  return [
    { service: 'orders-v1', weight: to === 'v1' ? 100 : 0 },
    { service: 'orders-v2', weight: to === 'v2' ? 100 : 0 },
  ];
}

/** The TrafficSplit as first created, all traffic to `to`. */
export function splitManifest(to) {
  return {
    apiVersion: 'split.smi-spec.io/v1alpha4',
    kind: 'TrafficSplit',
    metadata: { name: CONVERGENCE.splitName, namespace: CONVERGENCE.namespace },
    spec: { service: CONVERGENCE.splitRoot, backends: splitBackends(to) },
  };
}

/** The merge patch that flips the split (a merge patch replaces the backends list as a whole). */
export function splitPatch(to) {
  return { spec: { backends: splitBackends(to) } };
}

/**
 * The backend of change `i` (0-based) of a run that starts on v1: v2, v1, v2, … so that every change moves
 * all traffic.
 */
export function flipTarget(i) {
  return i % 2 === 0 ? 'v2' : 'v1';
}

/**
 * Pause before change `i`, in ms: 60 to 159, spread evenly but not in step with the proxy's 50 ms sync
 * interval, so the changes land at every phase of it. Deterministic, so runs stay comparable.
 */
export function pauseBefore(i) {
  return 60 + ((i * 37) % 100);
}

/**
 * Watches answers after a change: converged once `needed` answers in a row came from `expected`. Returns
 * the time of the first answer of that streak (the earliest the change is known to be served), else
 * undefined. Any other answer (the old backend, an error) restarts the streak.
 */
export function createStreakTracker(expected, needed) {
  let streakStart;
  let streak = 0;
  return {
    observe(answer, atMs) {
      if (answer !== expected) {
        streak = 0;
        streakStart = undefined;
        return undefined;
      }
      if (streak === 0) streakStart = atMs;
      streak++;
      return streak >= needed ? streakStart : undefined;
    },
  };
}

/**
 * Delays (ms) of the changes that converged within the bound, and how many did not: p50/p99/max by nearest
 * rank, so each is a delay some change really had. A change that timed out counts in `timedOut`, not in
 * the percentiles: the report shows both.
 */
export function summarizeDelays(delaysMs, timedOut = 0) {
  const sorted = sortedCopy(delaysMs);
  return {
    count: sorted.length,
    timedOut,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    max: percentile(sorted, 100),
  };
}
