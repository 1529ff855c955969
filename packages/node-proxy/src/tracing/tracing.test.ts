import { describe, expect, it } from 'vitest';
import { OtlpExporter, otlpJson } from './otlp-exporter.js';
import type { FinishedSpan } from './span.js';
import { formatTraceParent, parseTraceParent } from './trace-context.js';
import { Tracer } from './tracer.js';

describe('traceparent', () => {
  it('parses valid headers and rejects malformed ones', () => {
    const id = '4bf92f3577b34da6a3ce929d0e0e4736';
    expect(parseTraceParent(`00-${id}-00f067aa0ba902b7-01`)).toEqual({
      traceId: id,
      spanId: '00f067aa0ba902b7',
      sampled: true,
    });
    expect(parseTraceParent(`00-${id}-00f067aa0ba902b7-00`)?.sampled).toBe(false);
    for (const bad of [
      undefined,
      ['a', 'b'],
      'garbage',
      `ff-${id}-00f067aa0ba902b7-01`,
      `00-${'0'.repeat(32)}-00f067aa0ba902b7-01`,
      `00-${id}-${'0'.repeat(16)}-01`,
      `00-${id}-00f067aa0ba902b7-01-extra`,
    ]) {
      expect(parseTraceParent(bad)).toBeUndefined();
    }
    expect(formatTraceParent(id, '00f067aa0ba902b7', true)).toBe(`00-${id}-00f067aa0ba902b7-01`);
  });
});

describe('Tracer', () => {
  it('follows the caller sampled flag, else the ratio; unsampled spans are not exported', async () => {
    const exported: FinishedSpan[] = [];
    const exporter = { export: (s: FinishedSpan) => exported.push(s), shutdown: async () => undefined };
    let draws = 0;
    const tracer = new Tracer(exporter as unknown as OtlpExporter, 0.3, () => {
      draws++;
      return 0.5;
    });
    // Unsampled: no span at all (so no ids are drawn and the caller's header passes on unchanged).
    expect(tracer.start('GET', undefined)).toBeUndefined();
    expect(tracer.start('GET', '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00')).toBeUndefined();
    expect(draws).toBe(1); // the caller's flag decides without a draw
    expect(exported).toEqual([]);
    const span = tracer.start('GET', '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01');
    if (span === undefined) throw new Error('a sampled parent must give a span');
    expect(span.traceparent).toMatch(/^00-4bf92f3577b34da6a3ce929d0e0e4736-[0-9a-f]{16}-01$/);
    expect(span.traceparent).not.toContain('00f067aa0ba902b7');
    span.set('k', 1);
    span.end(true);
    span.end(true);
    expect(exported).toHaveLength(1);
    expect(exported[0]).toMatchObject({
      parentSpanId: '00f067aa0ba902b7',
      error: true,
      attributes: { k: 1 },
    });
  });
});

describe('OtlpExporter', () => {
  it('drops spans beyond its queue instead of growing', () => {
    const exporter = new OtlpExporter({
      endpoint: 'http://127.0.0.1:1/v1/traces',
      serviceName: 's',
      maxQueue: 2,
      maxBatch: 10,
      flushIntervalMs: 60_000,
      requestTimeoutMs: 100,
    });
    const span: FinishedSpan = {
      traceId: 'a'.repeat(32),
      spanId: 'b'.repeat(16),
      parentSpanId: undefined,
      name: 'GET',
      startTimeUnixNano: '1',
      endTimeUnixNano: '2',
      attributes: {},
      error: false,
    };
    for (let i = 0; i < 5; i++) exporter.export(span);
    expect(exporter.stats.dropped).toBe(3);
    const json = otlpJson([span], { serviceName: 's' });
    expect(json.resourceSpans[0]?.scopeSpans[0]?.spans[0]).toMatchObject({ kind: 2, status: { code: 1 } });
  });
});
