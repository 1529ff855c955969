import { describe, expect, it } from 'vitest';
import { parseExposition, parseSampleLine } from './exposition.js';

describe('parseExposition', () => {
  it('reads counters, histograms with their labels, escapes and special values', () => {
    const text = [
      '# HELP nodemesh_http_requests_total HTTP requests',
      '# TYPE nodemesh_http_requests_total counter',
      'nodemesh_http_requests_total{destination_service="a",note="q\\"uote\\\\ \\n"} 3',
      'nodemesh_http_request_duration_seconds_bucket{le="+Inf",destination_service="a"} 3',
      'nodemesh_http_request_duration_seconds_sum{destination_service="a"} 0.25 1700000000000',
      'up 1',
      'nan_value NaN',
      '',
    ].join('\n');
    const { samples, skipped } = parseExposition(text);
    expect(skipped).toBe(0);
    expect(samples[0]).toEqual({
      name: 'nodemesh_http_requests_total',
      labels: { destination_service: 'a', note: 'q"uote\\ \n' },
      value: 3,
    });
    expect(samples[1]?.labels).toEqual({ le: '+Inf', destination_service: 'a' });
    expect(samples[2]?.value).toBe(0.25);
    expect(samples[3]).toEqual({ name: 'up', labels: {}, value: 1 });
    expect(Number.isNaN(samples[4]?.value)).toBe(true);
  });

  it('skips and counts lines that are not samples, never guessing', () => {
    for (const line of [
      'garbage line here',
      'x{a="1"',
      'x{a=1} 2',
      'x{a="\\q"} 1',
      'x 1 2 3',
      'x{a="1"}1',
      'x 0x10',
      '1x 2',
      `x{a="${'y'.repeat(70_000)}"} 1`,
    ]) {
      expect(parseSampleLine(line), line.slice(0, 30)).toBeUndefined();
    }
    expect(parseExposition('ok 1\nbad {\n').skipped).toBe(1);
  });
});
