/**
 * Metrics as plain data, read from the cells at scrape time: what a worker sends its primary, what the
 * primary adds up, and what the exposition writer renders. Pure.
 */

/** How the same family of several processes becomes one: added up, the largest, or the first one's. */
export type Aggregation = 'sum' | 'max' | 'first';

export interface SeriesSnapshot {
  /** The rendered label pairs without braces (`a="x",b="y"`); empty for a family without labels. */
  readonly labels: string;
  /** Counter and gauge value. */
  readonly value?: number;
  /** Histogram: upper bounds, the count per bucket (not cumulative; the last is +Inf), sum and count. */
  readonly bounds?: readonly number[];
  readonly buckets?: readonly number[];
  readonly sum?: number;
  readonly count?: number;
}

export interface FamilySnapshot {
  readonly name: string;
  readonly help: string;
  readonly type: 'counter' | 'gauge' | 'histogram';
  readonly aggregation: Aggregation;
  readonly series: readonly SeriesSnapshot[];
}

/** A label value escaped as the text format wants it (backslash, double quote, newline). */
export function escapeLabelValue(value: string): string {
  return value.replace(/[\\"\n]/g, (c) => (c === '\n' ? '\\n' : `\\${c}`));
}

/** `a="x",b="y"` for these names and values. */
export function labelText(names: readonly string[], values: readonly string[]): string {
  return names.map((name, i) => `${name}="${escapeLabelValue(values[i] ?? '')}"`).join(',');
}

/**
 * The families of several processes as one list: same-named families are combined by their aggregation,
 * series matched by their labels. Families and series keep the order in which they were first seen.
 */
export function mergeFamilies(sources: readonly (readonly FamilySnapshot[])[]): FamilySnapshot[] {
  const merged = new Map<string, { family: FamilySnapshot; series: Map<string, SeriesSnapshot> }>();
  for (const families of sources) {
    for (const family of families) {
      const into = merged.get(family.name);
      if (into === undefined) {
        merged.set(family.name, { family, series: new Map(family.series.map((s) => [s.labels, s])) });
        continue;
      }
      if (family.aggregation === 'first') continue;
      for (const series of family.series) {
        const before = into.series.get(series.labels);
        into.series.set(
          series.labels,
          before === undefined ? series : combine(before, series, family.aggregation),
        );
      }
    }
  }
  return [...merged.values()].map(({ family, series }) => ({ ...family, series: [...series.values()] }));
}

function combine(a: SeriesSnapshot, b: SeriesSnapshot, aggregation: Aggregation): SeriesSnapshot {
  const pick = aggregation === 'max' ? Math.max : (x: number, y: number) => x + y;
  if (a.buckets !== undefined && b.buckets !== undefined) {
    return {
      ...a,
      buckets: a.buckets.map((n, i) => pick(n, b.buckets?.[i] ?? 0)),
      sum: pick(a.sum ?? 0, b.sum ?? 0),
      count: pick(a.count ?? 0, b.count ?? 0),
    };
  }
  return { ...a, value: pick(a.value ?? 0, b.value ?? 0) };
}
