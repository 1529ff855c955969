/** What a new snapshot is worth saying in the log: one debug line, and a warning for each new problem. */
import type { Logger } from '@nodemesh/kube-runtime/logger';
import type { Problem, Snapshot } from './snapshot.js';

export function logSnapshot(
  log: Logger,
  previous: Snapshot,
  next: Snapshot,
  buildSeconds: number | undefined,
): void {
  log.debug('routing snapshot applied', {
    version: next.version,
    buildMs: buildSeconds === undefined ? undefined : Math.round(buildSeconds * 1e6) / 1e3,
    httpEntrypoints: next.http.size,
    tcpListeners: next.tcp.size,
    udpListeners: next.udp.size,
  });
  const known = new Set(previous.problems.map(problemKey));
  for (const problem of next.problems) {
    if (!known.has(problemKey(problem))) log.warn(problem.message, { ...problem });
  }
}

function problemKey(p: Problem): string {
  return `${p.kind}/${p.namespace}/${p.name}/${p.reason}/${p.message}`;
}
