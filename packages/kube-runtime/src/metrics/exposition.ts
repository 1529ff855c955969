/**
 * The Prometheus text format (0.0.4) of metric snapshots, line for line as prom-client wrote it before:
 * HELP and TYPE, one line per series, histograms as cumulative `_bucket` lines with `le` first, then `_sum`
 * and `_count`; families separated by a blank line. Pure.
 */
import type { FamilySnapshot, SeriesSnapshot } from './snapshot.js';

export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** The exposition of these families, ending with a newline. */
export function renderExposition(families: readonly FamilySnapshot[]): string {
  return `${families.map(renderFamily).join('\n\n')}\n`;
}

/** One family: its HELP and TYPE lines and its series, without a trailing newline. */
export function renderFamily(family: FamilySnapshot): string {
  const lines = [`# HELP ${family.name} ${escapeHelp(family.help)}`, `# TYPE ${family.name} ${family.type}`];
  for (const series of family.series) {
    if (family.type === 'histogram') histogramLines(family.name, series, lines);
    else lines.push(`${family.name}${braces(series.labels)} ${number(series.value ?? 0)}`);
  }
  return lines.join('\n');
}

function histogramLines(name: string, series: SeriesSnapshot, lines: string[]): void {
  const rest = series.labels === '' ? '' : `,${series.labels}`;
  const bounds = series.bounds ?? [];
  let cumulative = 0;
  for (let i = 0; i < bounds.length; i++) {
    cumulative += series.buckets?.[i] ?? 0;
    lines.push(`${name}_bucket{le="${number(bounds[i] ?? 0)}"${rest}} ${number(cumulative)}`);
  }
  lines.push(`${name}_bucket{le="+Inf"${rest}} ${number(series.count ?? 0)}`);
  lines.push(`${name}_sum${braces(series.labels)} ${number(series.sum ?? 0)}`);
  lines.push(`${name}_count${braces(series.labels)} ${number(series.count ?? 0)}`);
}

const braces = (labels: string): string => (labels === '' ? '' : `{${labels}}`);

function number(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Number.POSITIVE_INFINITY) return '+Inf';
  if (value === Number.NEGATIVE_INFINITY) return '-Inf';
  return `${value}`;
}

function escapeHelp(help: string): string {
  return help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}
