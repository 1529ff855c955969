/** Weighted choice of a TrafficSplit backend (pure). */
import type { RandomSource } from './random.js';

/** Picks an item with probability weight / total; undefined when every weight is 0 or there are none. */
export function pickWeighted<T extends { readonly weight: number }>(
  items: readonly T[],
  totalWeight: number,
  random: RandomSource,
): T | undefined {
  if (totalWeight <= 0) return undefined;
  let point = random() * totalWeight;
  for (const item of items) {
    if (item.weight <= 0) continue;
    if (point < item.weight) return item;
    point -= item.weight;
  }
  // Floating-point rest: the last item with weight.
  for (let i = items.length - 1; i >= 0; i--) {
    const item = items[i];
    if (item !== undefined && item.weight > 0) return item;
  }
  return undefined;
}
