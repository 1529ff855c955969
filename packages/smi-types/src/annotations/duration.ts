/**
 * Go-style durations (`500ms`, `2s`, `1m30s`, `1.5h`), the form Kubernetes users already write in
 * manifests. Units: ns, us (or µs), ms, s, m, h. No sign: every duration the mesh reads is an amount of time.
 */

const NANOS_PER_UNIT: Readonly<Record<string, number>> = {
  ns: 1,
  us: 1e3,
  µs: 1e3,
  μs: 1e3,
  ms: 1e6,
  s: 1e9,
  m: 60e9,
  h: 3600e9,
};

/** One `<number><unit>` part; `ms` is tried before `m`. */
const PART = /(\d+)?(?:\.(\d*))?(ns|us|µs|μs|ms|s|m|h)/y;

/** Longer text than this is not a duration anyone meant to write. */
const MAX_LENGTH = 64;

/**
 * Milliseconds (possibly fractional, e.g. 0.5 for `500us`), or undefined when `text` is not a duration.
 * `0` alone is accepted, as in Go. Never throws.
 */
export function parseDuration(text: string): number | undefined {
  if (typeof text !== 'string' || text.length === 0 || text.length > MAX_LENGTH) return undefined;
  if (text === '0') return 0;
  let nanos = 0;
  PART.lastIndex = 0;
  while (PART.lastIndex < text.length) {
    const start = PART.lastIndex;
    const match = PART.exec(text);
    if (match === null || match.index !== start) return undefined;
    const [, whole, fraction, unit] = match;
    if (whole === undefined && (fraction === undefined || fraction === '')) return undefined;
    const perUnit = NANOS_PER_UNIT[unit ?? ''];
    if (perUnit === undefined) return undefined;
    const fractionValue = fraction === undefined || fraction === '' ? 0 : Number(`0.${fraction}`);
    nanos += Number(whole ?? '0') * perUnit + Math.round(fractionValue * perUnit);
    if (!Number.isSafeInteger(nanos)) return undefined;
  }
  return nanos / 1e6;
}
