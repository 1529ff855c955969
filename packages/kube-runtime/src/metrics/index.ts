/**
 * `@nodemesh/kube-runtime/metrics`: metrics as plain cells rendered at scrape time. A subpath of its own, so
 * a process that only serves traffic (a node-proxy worker) loads it without the Kubernetes client.
 */
export { CounterCell, GaugeCell, HistogramCell } from './cells.js';
export { PROMETHEUS_CONTENT_TYPE, renderExposition, renderFamily } from './exposition.js';
export {
  CounterFamily,
  type FamilyOptions,
  type FamilyType,
  GaugeFamily,
  HistogramFamily,
} from './families.js';
export { processMetrics } from './process-metrics.js';
export { MetricsRegistry } from './registry.js';
export {
  type Aggregation,
  escapeLabelValue,
  type FamilySnapshot,
  labelText,
  mergeFamilies,
  type SeriesSnapshot,
} from './snapshot.js';
