/**
 * Reading Prometheus text exposition, as much as the suite needs: the sum of a metric's samples whose
 * labels include the given ones. Pure; lines it cannot read are skipped.
 */

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

/** The labels of one sample line's `{…}` part. */
export function parseLabels(text: string): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const match of text.matchAll(LABEL)) {
    const [, key, value] = match;
    if (key !== undefined && value !== undefined) labels[key] = value.replace(/\\(.)/g, '$1');
  }
  return labels;
}

/** The label sets of every sample of `name`. */
export function sampleLabels(exposition: string, name: string): Record<string, string>[] {
  const found: Record<string, string>[] = [];
  for (const line of exposition.split('\n')) {
    const match = SAMPLE.exec(line);
    if (match !== null && match[1] === name) found.push(parseLabels(match[3] ?? ''));
  }
  return found;
}

/** Sum of the samples of `name` whose labels include `labels` (0 when there is none). */
export function sumSamples(
  exposition: string,
  name: string,
  labels: Readonly<Record<string, string>> = {},
): number {
  let sum = 0;
  for (const line of exposition.split('\n')) {
    if (line.startsWith('#')) continue;
    const match = SAMPLE.exec(line);
    if (match === null || match[1] !== name) continue;
    const own = parseLabels(match[3] ?? '');
    if (!Object.entries(labels).every(([k, v]) => own[k] === v)) continue;
    const value = Number(match[4]);
    if (Number.isFinite(value)) sum += value;
  }
  return sum;
}
