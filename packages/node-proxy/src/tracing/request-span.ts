/** The mesh attributes of a proxied request's span, in one place for both HTTP sides (pure setters). */
import type { TrafficLabels } from '../metrics/proxy-metrics.js';
import type { ActiveSpan } from './tracer.js';

/** Who called what, and what it was sent to. */
export function annotateRoute(
  span: ActiveSpan,
  labels: TrafficLabels,
  extra: { backend?: string; endpoint?: string; allowedBy?: string | undefined },
): void {
  const caller = labels.caller;
  span.set('nodemesh.source.namespace', caller?.namespace ?? 'unknown');
  span.set('nodemesh.source.workload', caller?.workload ?? 'unknown');
  span.set('nodemesh.source.service_account', caller?.serviceAccount ?? 'unknown');
  span.set('nodemesh.destination.namespace', labels.destinationNamespace);
  span.set('nodemesh.destination.service', labels.destinationService);
  if (extra.backend !== undefined) span.set('nodemesh.backend.service', extra.backend);
  if (extra.endpoint !== undefined) span.set('network.peer.address', extra.endpoint);
  if (extra.allowedBy !== undefined) span.set('nodemesh.policy.traffic_target', extra.allowedBy);
}

/**
 * Ends the span with the answer: `outcome` is `forwarded` or the proxy's error kind (`access_denied`,
 * `rate_limited`, `circuit_open`, ...). Only 5xx answers mark the span as an error.
 */
export function endRequestSpan(span: ActiveSpan, status: number, outcome: string, attempts: number): void {
  span.set('http.response.status_code', status);
  span.set('nodemesh.policy.outcome', outcome);
  span.set('nodemesh.retries', Math.max(0, attempts - 1));
  span.end(status >= 500 || status === 0);
}
