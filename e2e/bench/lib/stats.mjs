/**
 * Pure statistics for the benchmark: percentiles of latency samples and the median and spread of repeated
 * runs. Every figure in the report comes through here, so the smoke test covers how numbers are summarised.
 */

/** The percentiles drawn on the latency charts (the x axis counts "nines"). */
export const CURVE_PERCENTILES = [0, 50, 75, 90, 95, 99, 99.5, 99.9, 99.95, 99.99, 100];

/**
 * The nearest-rank percentile of ascending `sorted` values (p in 0..100); NaN for no values. Nearest rank
 * (not interpolation) so a p99 is always a latency that some request really had.
 */
export function percentile(sorted, p) {
  if (sorted.length === 0) return Number.NaN;
  if (p <= 0) return sorted[0];
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

/** Sorts a copy of the samples ascending (numeric, not lexicographic). */
export function sortedCopy(values) {
  return Float64Array.from(values).sort();
}

/** p50/p90/p99/p99.9/max and the chart curve of latency samples (in ms). */
export function latencyProfile(samplesMs) {
  const sorted = sortedCopy(samplesMs);
  return {
    count: sorted.length,
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p99: percentile(sorted, 99),
    p999: percentile(sorted, 99.9),
    max: percentile(sorted, 100),
    curve: CURVE_PERCENTILES.map((p) => ({ p, ms: percentile(sorted, p) })),
  };
}

/**
 * The median of repeated runs and their spread (min and max, and max-min relative to the median). NaN runs
 * (a run that failed) are left out; `runs` says how many counted.
 */
export function summarize(values) {
  const ok = values.filter((v) => Number.isFinite(v));
  const sorted = sortedCopy(ok);
  if (sorted.length === 0)
    return { median: Number.NaN, min: Number.NaN, max: Number.NaN, spread: 0, runs: 0 };
  const mid = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  const min = sorted[0];
  const max = sorted[sorted.length - 1];
  return { median, min, max, spread: median === 0 ? 0 : (max - min) / median, runs: sorted.length };
}

/** Median latency curve of several runs: per percentile, the median across runs. */
export function medianCurve(curves) {
  if (curves.length === 0) return [];
  return CURVE_PERCENTILES.map((p, i) => ({
    p,
    ms: summarize(curves.map((c) => c[i]?.ms ?? Number.NaN)).median,
  }));
}

/** a / b, NaN when either is missing or b is 0. */
export function ratio(a, b) {
  return Number.isFinite(a) && Number.isFinite(b) && b !== 0 ? a / b : Number.NaN;
}
