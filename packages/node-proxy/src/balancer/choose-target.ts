/** Which backend Service a request or connection goes to: the split's weighted choice or the root (pure). */
import type { Backend, Route } from '../snapshot/snapshot.js';
import { type MatchableRequest, matchesAny } from '../topology/http-match.js';
import type { RandomSource } from './random.js';
import { pickWeighted } from './weighted-choice.js';

/**
 * The backend for one request (HTTP: pass the request, so split matches apply) or connection (omit it).
 * Undefined when a split gives every backend weight 0.
 */
export function chooseBackend(
  route: Route,
  random: RandomSource,
  request?: MatchableRequest,
): Backend | undefined {
  const split = route.split;
  if (split === undefined) return route.root;
  if (split.matches !== undefined && (request === undefined || !matchesAny(split.matches, request))) {
    return route.root;
  }
  return pickWeighted(split.backends, split.totalWeight, random);
}
