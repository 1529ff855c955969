/**
 * A metric family: a name, its help, fixed label names, and a cell per label-value combination. `cell()`
 * is where the lookup happens, once, when a route, connection or session binds its cells; the cells then
 * live as long as the family (counters never go back to zero while the process runs).
 */
import { CounterCell, GaugeCell, HistogramCell } from './cells.js';
import { type Aggregation, type FamilySnapshot, labelText, type SeriesSnapshot } from './snapshot.js';

export type FamilyType = 'counter' | 'gauge' | 'histogram';

export interface FamilyOptions {
  readonly name: string;
  readonly help: string;
  readonly labelNames?: readonly string[];
  /** How a family is combined across processes (workers): `sum` by default. */
  readonly aggregation?: Aggregation;
}

abstract class Family<C> {
  readonly name: string;
  readonly help: string;
  readonly labelNames: readonly string[];
  readonly aggregation: Aggregation;
  abstract readonly type: FamilyType;
  /** JSON of the label values → the series (its rendered labels and its cell), in creation order. */
  readonly #series = new Map<string, { readonly labels: string; readonly cell: C }>();

  constructor(options: FamilyOptions) {
    this.name = options.name;
    this.help = options.help;
    this.labelNames = options.labelNames ?? [];
    this.aggregation = options.aggregation ?? 'sum';
  }

  protected abstract create(): C;
  protected abstract read(cell: C): Omit<SeriesSnapshot, 'labels'>;

  /** The cell of these label values (in `labelNames` order), made on first use. */
  cell(...values: string[]): C {
    if (values.length !== this.labelNames.length) {
      throw new Error(`${this.name}: expected ${this.labelNames.length} label values, got ${values.length}`);
    }
    const key = values.length === 0 ? '' : JSON.stringify(values);
    let series = this.#series.get(key);
    if (series === undefined) {
      series = { labels: labelText(this.labelNames, values), cell: this.create() };
      this.#series.set(key, series);
    }
    return series.cell;
  }

  /** Drops a series (a gauge whose subject is gone). */
  remove(...values: string[]): void {
    this.#series.delete(values.length === 0 ? '' : JSON.stringify(values));
  }

  snapshot(): FamilySnapshot {
    // A family without labels shows its one series from the start, at zero.
    if (this.labelNames.length === 0) this.cell();
    const series: SeriesSnapshot[] = [];
    for (const { labels, cell } of this.#series.values()) series.push({ labels, ...this.read(cell) });
    return { name: this.name, help: this.help, type: this.type, aggregation: this.aggregation, series };
  }
}

export class CounterFamily extends Family<CounterCell> {
  readonly type = 'counter';
  protected create(): CounterCell {
    return new CounterCell();
  }
  protected read(cell: CounterCell) {
    return { value: cell.value };
  }
}

export class GaugeFamily extends Family<GaugeCell> {
  readonly type = 'gauge';
  protected create(): GaugeCell {
    return new GaugeCell();
  }
  protected read(cell: GaugeCell) {
    return { value: cell.value };
  }
}

export class HistogramFamily extends Family<HistogramCell> {
  readonly type = 'histogram';
  readonly bounds: readonly number[];

  constructor(options: FamilyOptions & { readonly bounds: readonly number[] }) {
    super(options);
    this.bounds = [...options.bounds].sort((a, b) => a - b);
  }

  protected create(): HistogramCell {
    return new HistogramCell(this.bounds);
  }
  protected read(cell: HistogramCell) {
    return { buckets: [...cell.counts], sum: cell.sum, count: cell.count, bounds: cell.bounds };
  }
}
