import { describe, expect, it } from 'vitest';
import { parseLabels, sumSamples } from './metrics-text.js';

const exposition = [
  '# HELP nodemesh_http_requests_total Requests.',
  '# TYPE nodemesh_http_requests_total counter',
  'nodemesh_http_requests_total{destination_service="web",status_class="2xx"} 3',
  'nodemesh_http_requests_total{destination_service="web",status_class="5xx"} 1',
  'nodemesh_http_requests_total{destination_service="api",status_class="2xx"} 7',
  'nodemesh_http_requests_total_other 100',
  'nodemesh_dns_controller_is_leader 1',
  'broken line {',
  '',
].join('\n');

describe('sumSamples', () => {
  it('adds the samples of one metric whose labels include the given ones', () => {
    expect(sumSamples(exposition, 'nodemesh_http_requests_total')).toBe(11);
    expect(sumSamples(exposition, 'nodemesh_http_requests_total', { destination_service: 'web' })).toBe(4);
    expect(
      sumSamples(exposition, 'nodemesh_http_requests_total', {
        destination_service: 'web',
        status_class: '5xx',
      }),
    ).toBe(1);
    expect(sumSamples(exposition, 'nodemesh_dns_controller_is_leader')).toBe(1);
  });

  it('is 0 for a metric or label that is absent', () => {
    expect(sumSamples(exposition, 'nodemesh_nothing')).toBe(0);
    expect(sumSamples(exposition, 'nodemesh_http_requests_total', { destination_service: 'cart' })).toBe(0);
  });
});

describe('parseLabels', () => {
  it('reads quoted values with escapes', () => {
    expect(parseLabels('a="x",b="say \\"hi\\"",c=""')).toEqual({ a: 'x', b: 'say "hi"', c: '' });
  });
});
