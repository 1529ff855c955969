/**
 * The numbers behind metrics: a counter, a gauge, a histogram. A hot path holds a cell it looked up once
 * and changes numbers in it; nothing is hashed, allocated or formatted until a scrape reads the cells.
 */

export class CounterCell {
  value = 0;

  inc(by = 1): void {
    this.value += by;
  }
}

export class GaugeCell {
  value = 0;

  set(value: number): void {
    this.value = value;
  }

  inc(by = 1): void {
    this.value += by;
  }

  dec(by = 1): void {
    this.value -= by;
  }
}

/** Observations counted per bucket (not cumulative: the exposition adds them up), plus sum and count. */
export class HistogramCell {
  /** Upper bounds, ascending; the implicit last bucket is +Inf. */
  readonly bounds: readonly number[];
  /** One slot per bound and one for +Inf. */
  readonly counts: Float64Array;
  sum = 0;
  count = 0;

  constructor(bounds: readonly number[]) {
    this.bounds = bounds;
    this.counts = new Float64Array(bounds.length + 1);
  }

  observe(value: number): void {
    const { bounds } = this;
    let i = 0;
    while (i < bounds.length && value > (bounds[i] ?? Number.POSITIVE_INFINITY)) i++;
    this.counts[i] = (this.counts[i] ?? 0) + 1;
    this.sum += value;
    this.count++;
  }
}
