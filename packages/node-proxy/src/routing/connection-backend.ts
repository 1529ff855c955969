/**
 * The backend of one TCP connection (pure): the caller's TCPRoute table when a route is attached (weighted
 * backends; a backend that cannot be sent to gets its share refused), else the TrafficSplit or the root.
 */
import { chooseBackend } from '../balancer/choose-target.js';
import type { RandomSource } from '../balancer/random.js';
import { pickWeighted } from '../balancer/weighted-choice.js';
import type { Backend, Route } from '../snapshot/snapshot.js';
import { tablesFor } from './select-rule.js';

export function chooseConnectionBackend(
  route: Route,
  random: RandomSource,
  callerNamespace: string | undefined,
): Backend | undefined {
  const tcp = route.mesh === undefined ? undefined : tablesFor(route.mesh, callerNamespace)?.tcp;
  if (tcp === undefined) return chooseBackend(route, random);
  return pickWeighted(tcp.rule.backends, tcp.rule.totalWeight, random)?.backend;
}
