import { describe, expect, it } from 'vitest';
import { MetricsRegistry, mergeFamilies, processMetrics, renderExposition } from './index.js';

describe('MetricsRegistry', () => {
  it('renders counters, gauges and histograms in the text format, histograms with le first', async () => {
    const registry = new MetricsRegistry();
    const requests = registry.counter({
      name: 'x_requests_total',
      help: 'Requests.',
      labelNames: ['a', 'b'],
    });
    const open = registry.gauge({ name: 'x_open', help: 'Open now.' });
    const duration = registry.histogram({
      name: 'x_seconds',
      help: 'Time.',
      labelNames: ['a'],
      bounds: [0.1, 0.01, 1],
    });
    const cell = requests.cell('one', 'say "hi"\\\n');
    cell.inc();
    cell.inc(2);
    open.cell().set(4);
    const fast = duration.cell('one');
    fast.observe(0.005);
    fast.observe(0.1);
    fast.observe(7);
    expect(await registry.metrics()).toBe(
      [
        '# HELP x_requests_total Requests.',
        '# TYPE x_requests_total counter',
        'x_requests_total{a="one",b="say \\"hi\\"\\\\\\n"} 3',
        '',
        '# HELP x_open Open now.',
        '# TYPE x_open gauge',
        'x_open 4',
        '',
        '# HELP x_seconds Time.',
        '# TYPE x_seconds histogram',
        'x_seconds_bucket{le="0.01",a="one"} 1',
        'x_seconds_bucket{le="0.1",a="one"} 2',
        'x_seconds_bucket{le="1",a="one"} 2',
        'x_seconds_bucket{le="+Inf",a="one"} 3',
        'x_seconds_sum{a="one"} 7.105',
        'x_seconds_count{a="one"} 3',
        '',
      ].join('\n'),
    );
  });

  it('shows a family without labels at zero from the start, and a labelled one only once used', async () => {
    const registry = new MetricsRegistry();
    registry.gauge({ name: 'x_version', help: 'Version.' });
    registry.counter({ name: 'x_total', help: 'Things.', labelNames: ['kind'] });
    registry.histogram({ name: 'x_build_seconds', help: 'Build.', bounds: [1] });
    expect(await registry.getSingleMetricAsString('x_version')).toContain('\nx_version 0');
    expect(await registry.getSingleMetricAsString('x_total')).toBe(
      '# HELP x_total Things.\n# TYPE x_total counter',
    );
    expect(await registry.getSingleMetricAsString('x_build_seconds')).toContain('x_build_seconds_count 0');
    expect(await registry.getSingleMetricAsString('nope')).toBe('');
  });

  it('hands out the same cell for the same label values, and forgets removed series', async () => {
    const registry = new MetricsRegistry();
    const state = registry.gauge({ name: 'x_state', help: 'State.', labelNames: ['svc'] });
    expect(state.cell('a')).toBe(state.cell('a'));
    state.cell('a').set(2);
    state.cell('b').set(1);
    state.remove('a');
    expect(await registry.getSingleMetricAsString('x_state')).not.toContain('svc="a"');
    expect(() => state.cell()).toThrow(/expected 1 label values/);
    expect(() => registry.gauge({ name: 'x_state', help: 'again' })).toThrow(/twice/);
  });

  it('adds collectors at scrape time, in registration order', async () => {
    const registry = new MetricsRegistry();
    let objects = 1;
    registry.collector(() => [
      {
        name: 'x_objects',
        help: 'Objects.',
        type: 'gauge',
        aggregation: 'sum',
        series: [{ labels: 'informer="pods"', value: objects }],
      },
    ]);
    registry.counter({ name: 'x_after_total', help: 'After.' });
    objects = 5;
    const text = await registry.metrics();
    expect(text).toContain('x_objects{informer="pods"} 5');
    expect(text.indexOf('x_objects')).toBeLessThan(text.indexOf('x_after_total'));
  });
});

describe('mergeFamilies', () => {
  it('adds up sums and histograms, keeps the worst of max families and the first of first families', () => {
    const one = new MetricsRegistry();
    const two = new MetricsRegistry();
    for (const [registry, n] of [
      [one, 1],
      [two, 2],
    ] as const) {
      registry
        .counter({ name: 'x_total', help: 'X.', labelNames: ['w'] })
        .cell('same')
        .inc(n);
      registry
        .counter({ name: 'x_only_total', help: 'X.', labelNames: ['w'] })
        .cell(`w${n}`)
        .inc(n);
      registry
        .gauge({ name: 'x_lag', help: 'Lag.', aggregation: 'max' })
        .cell()
        .set(n * 10);
      registry
        .gauge({ name: 'x_start', help: 'Start.', aggregation: 'first' })
        .cell()
        .set(n * 100);
      registry
        .histogram({ name: 'x_seconds', help: 'T.', bounds: [1] })
        .cell()
        .observe(n);
    }
    const text = renderExposition(mergeFamilies([one.collect(), two.collect()]));
    expect(text).toContain('x_total{w="same"} 3');
    expect(text).toContain('x_only_total{w="w1"} 1\nx_only_total{w="w2"} 2');
    expect(text).toContain('x_lag 20');
    expect(text).toContain('x_start 100');
    expect(text).toContain('x_seconds_bucket{le="1"} 1\nx_seconds_bucket{le="+Inf"} 2');
    expect(text).toContain('x_seconds_sum 3\nx_seconds_count 2');
  });
});

describe('processMetrics', () => {
  it('reports the figures the dashboards read, under prom-client default names', () => {
    const families = processMetrics()();
    const value = (name: string) => families.find((f) => f.name === name)?.series[0]?.value ?? Number.NaN;
    expect(value('process_resident_memory_bytes')).toBeGreaterThan(1024 * 1024);
    expect(value('process_cpu_seconds_total')).toBeGreaterThan(0);
    expect(value('nodejs_heap_size_used_bytes')).toBeGreaterThan(0);
    expect(value('process_open_fds')).toBeGreaterThan(2);
    expect(value('nodejs_eventloop_lag_p99_seconds')).toBeGreaterThanOrEqual(0);
    expect(families.find((f) => f.name === 'nodejs_version_info')?.series[0]?.labels).toContain(
      `version="${process.version}"`,
    );
  });
});
