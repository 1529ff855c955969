/**
 * A process's metrics: families registered once, plus collectors that produce families at scrape time
 * (watch health, process figures). `collect()` gives plain snapshots (for a primary to add up across
 * workers), `metrics()` the text exposition. The methods prom-client's Registry offered for reading are
 * kept, so tests and the admin endpoint read it the same way.
 */
import { PROMETHEUS_CONTENT_TYPE, renderExposition, renderFamily } from './exposition.js';
import { CounterFamily, type FamilyOptions, GaugeFamily, HistogramFamily } from './families.js';
import type { FamilySnapshot } from './snapshot.js';

type Source = { readonly snapshot: () => FamilySnapshot } | { readonly collect: () => FamilySnapshot[] };

export class MetricsRegistry {
  readonly contentType = PROMETHEUS_CONTENT_TYPE;
  readonly #sources: Source[] = [];
  readonly #names = new Set<string>();

  counter(options: FamilyOptions): CounterFamily {
    return this.#add(new CounterFamily(options));
  }

  gauge(options: FamilyOptions): GaugeFamily {
    return this.#add(new GaugeFamily(options));
  }

  histogram(options: FamilyOptions & { readonly bounds: readonly number[] }): HistogramFamily {
    return this.#add(new HistogramFamily(options));
  }

  /** Families computed when scraped, in the order they were registered among the others. */
  collector(collect: () => FamilySnapshot[]): void {
    this.#sources.push({ collect });
  }

  /** Every family now, as plain data. */
  collect(): FamilySnapshot[] {
    return this.#sources.flatMap((source) => ('collect' in source ? source.collect() : [source.snapshot()]));
  }

  /** The text exposition of every family. */
  render(): string {
    return renderExposition(this.collect());
  }

  async metrics(): Promise<string> {
    return this.render();
  }

  /** One family's text (HELP, TYPE, series), or an empty string when there is none of that name. */
  async getSingleMetricAsString(name: string): Promise<string> {
    const family = this.collect().find((f) => f.name === name);
    return family === undefined ? '' : renderFamily(family);
  }

  #add<F extends { readonly name: string; snapshot(): FamilySnapshot }>(family: F): F {
    if (this.#names.has(family.name)) throw new Error(`metric ${family.name} is registered twice`);
    this.#names.add(family.name);
    this.#sources.push({ snapshot: () => family.snapshot() });
    return family;
  }
}
