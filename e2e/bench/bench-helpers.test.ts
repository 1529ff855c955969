/** Smoke test of the bench's pure helpers (the benchmarks themselves run with `pnpm bench`, not here). */
import { describe, expect, it } from 'vitest';
import {
  createStreakTracker,
  flipTarget,
  pauseBefore,
  podReadyPatch,
  splitPatch,
  summarizeDelays,
} from './lib/convergence.mjs';
import {
  convergenceTable,
  coresTable,
  evaluateTargets,
  generatorNote,
  httpCpuTable,
  med,
  memoryTable,
  mtlsTable,
  renderReport,
  renderTable,
  replaceLatest,
} from './lib/report.mjs';
import { latencyProfile, medianCurve, percentile, ratio, summarize } from './lib/stats.mjs';
import { escapeXml, niceCeiling, ninesOf, renderLatencyChart } from './lib/svg.mjs';
import { parsePaced } from './lib/wrk.mjs';

describe('stats', () => {
  it('takes nearest-rank percentiles of sorted samples', () => {
    const sorted = Float64Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(sorted, 50)).toBe(50);
    expect(percentile(sorted, 99)).toBe(99);
    expect(percentile(sorted, 99.9)).toBe(100);
    expect(percentile(sorted, 0)).toBe(1);
    expect(percentile([], 50)).toBeNaN();
  });

  it('sorts latency samples numerically, not as strings', () => {
    const profile = latencyProfile([10, 9, 100, 2]);
    expect(profile.p50).toBe(9);
    expect(profile.max).toBe(100);
    expect(profile.curve.at(-1)).toEqual({ p: 100, ms: 100 });
  });

  it('summarises runs as median and spread, leaving out failed runs', () => {
    expect(summarize([3, 1, 2])).toEqual({ median: 2, min: 1, max: 3, spread: 1, runs: 3 });
    expect(summarize([4, Number.NaN, 2]).median).toBe(3);
    expect(summarize([]).runs).toBe(0);
    expect(medianCurve([[{ p: 50, ms: 1 }], [{ p: 50, ms: 3 }], [{ p: 50, ms: 2 }]])[0]?.ms).toBe(2);
    expect(ratio(1, 0)).toBeNaN();
  });
});

describe('report', () => {
  it('renders a markdown table and escapes pipes', () => {
    expect(renderTable(['a', 'b'], [['1', 'x|y']])).toBe('| a | b |\n| --- | --- |\n| 1 | x\\|y |');
    expect(med({ median: 1234.5, min: 1000, max: 1500, runs: 3 })).toBe('1,235 (1,000–1,500)');
    expect(med(undefined)).toBe('—');
  });

  it("splits a request's CPU into user space and kernel, flat out and per rate, leaving direct out", () => {
    const table = httpCpuTable(
      [
        { id: 'direct', kind: 'direct', label: 'direct', rates: {} },
        {
          id: 'bare@node20',
          kind: 'bare',
          runtime: 'node20',
          label: 'bare',
          userUsAtMax: { median: 27.04 },
          systemUsAtMax: { median: 17.5 },
          rates: { 1000: { userUs: { median: 149.8 }, systemUs: { median: 78.6 } } },
        },
      ],
      [1000],
    );
    expect(table.split('\n')).toEqual([
      '| variant | user µs per request (at max) | kernel µs per request (at max) | user µs per request @1000/s | kernel µs per request @1000/s |',
      '| --- | --- | --- | --- | --- |',
      '| bare | 27.0 | 17.5 | 149.8 | 78.6 |',
    ]);
  });

  it('reports targets with their gap and never as failures of the run', () => {
    const rate = (p50: number, p99: number) => ({
      1000: { p50: { median: p50 }, p99: { median: p99, runs: 1 } },
    });
    const targets = evaluateTargets({
      http: [
        { id: 'direct', kind: 'direct', rates: rate(0.5, 2) },
        { id: 'bare@node20', kind: 'bare', runtime: 'node20', maxRps: { median: 10_000 } },
        {
          id: 'node-proxy-policy@node20',
          kind: 'node-proxy-policy',
          runtime: 'node20',
          maxRps: { median: 9_000 },
          vcpuPer1000AtMax: { median: 0.08 },
          rates: rate(0.7, 3),
        },
        { id: 'bare@node24', kind: 'bare', runtime: 'node24', pending: 'Node 24 not available' },
        { id: 'nginx', kind: 'nginx', maxRps: { median: 20_000 } },
      ],
      dns: {
        servers: [
          { id: 'mesh-dns@node20', kind: 'mesh-dns', runtime: 'node20', qps: { median: 70 } },
          { id: 'reflector@node20', kind: 'reflector', runtime: 'node20', qps: { median: 90 } },
          { id: 'unbound', kind: 'unbound', qps: { median: 100 } },
        ],
      },
      memory: [{ runtime: 'node20', workers: 1, totalMiB: 120 }],
      cores: [
        { kind: 'node-proxy-policy', runtime: 'node20', workers: 1, maxRps: { median: 1000 } },
        { kind: 'node-proxy-policy', runtime: 'node20', workers: 2, maxRps: { median: 1700 } },
        { kind: 'nginx', workers: 1, maxRps: { median: 1000 } },
        { kind: 'nginx', workers: 2, maxRps: { median: 1800 } },
      ],
      scale: [{ services: 10_000, rssMiB: 190, incrementalApplyMs: { median: 80 } }],
    });
    const byName = new Map(targets.map((t) => [t.name, t]));
    expect(
      byName.get('HTTP full policy: max req/s vs the bare node:http + undici pass-through, Node 20'),
    ).toMatchObject({ met: true, value: '0.900×' });
    expect(byName.get('HTTP full policy: vCPU per 1000 req/s at max, Node 20')).toMatchObject({
      met: false,
      gap: '0.020 short',
    });
    expect(byName.get('HTTP full policy: median added over direct at 1000 req/s, Node 20')?.met).toBe(true);
    expect(
      byName.get('HTTP full policy: max req/s vs the bare node:http + undici pass-through, Node 24'),
    ).toMatchObject({
      met: undefined,
      value: 'not measured',
      gap: 'not in this run',
    });
    expect(byName.get('DNS queries/s vs unbound, Node 20')).toMatchObject({ met: true });
    expect(byName.get('DNS queries/s vs unbound, Node 20')?.value).toContain('reflector: 0.90×');
    expect(byName.get('idle proxy RSS (--workers 1), Node 20')).toMatchObject({
      met: false,
      gap: '20.0 MiB short',
    });
    expect(byName.get('10 000 Services: proxy memory (RSS)')?.met).toBe(true);
    expect(
      byName.get("2 workers vs 1 (max req/s), full policy, Node 20, against nginx's 1.80×"),
    ).toMatchObject({
      met: true,
      limit: '≥ 1.62×',
    });
    expect(byName.get('10 000 Services: incremental update (apply, median)')?.gap).toBe('30.0 ms short');
    expect(byName.get('convergence p99 (API server → proxy)')?.met).toBeUndefined();
  });

  it('reads the line of the paced wrk script', () => {
    const out = parsePaced(
      'Running 3s test\nPACED {"requests":3000,"errors":1,"late":2,"paced":2990,"p0":0.1,"p50":0.4,"p75":0.5,' +
        '"p90":0.6,"p95":0.7,"p99":1.2,"p995":1.5,"p999":2,"p9995":2.5,"p9999":3,"max":4}\n',
    );
    expect(out).toMatchObject({ requests: 3000, errors: 1, late: 2, paced: 2990 });
    expect(out.latency).toMatchObject({ p50: 0.4, p99: 1.2, p999: 2, max: 4 });
    expect(out.latency.curve.at(-1)).toEqual({ p: 100, ms: 4 });
    expect(() => parsePaced('nothing')).toThrow(/no PACED line/);
  });

  it('shows the gain of two workers over one, and memory per process', () => {
    const table = coresTable([
      {
        label: 'p1',
        kind: 'node-proxy-policy',
        runtime: 'node20',
        workers: 1,
        cpus: '1',
        maxRps: { median: 1000, runs: 1 },
      },
      {
        label: 'p2',
        kind: 'node-proxy-policy',
        runtime: 'node20',
        workers: 2,
        cpus: '0,1',
        maxRps: { median: 1500, runs: 1 },
      },
    ]);
    expect(table).toContain('| p2 | 0,1 | 1,500 | 1.50 |');
    expect(generatorNote([{ label: 'x', errorsAtMax: 3 }], [])).toContain('x 3');
    expect(memoryTable([{ label: 'w2', totalMiB: 250, processMiB: [120, 65, 65] }])).toContain(
      '| w2 | 250.0 | 120.0 + 65.0 + 65.0 |',
    );
  });

  it('puts the tunnel beside the plaintext path of the same runtime', () => {
    const one = (median: number) => ({ median, min: median, max: median, runs: 1 });
    const common = { runtime: 'node20', vcpuPer1000AtMax: one(0.1), p50: one(0.4) };
    const table = mtlsTable([
      {
        ...common,
        label: 'plain',
        mode: 'plaintext',
        maxRps: one(1000),
        p99: one(1),
        rssPer1000ConnectionsMiB: 2,
      },
      {
        ...common,
        label: 'tunnel',
        mode: 'mtls',
        maxRps: one(800),
        p99: one(1.5),
        handshakes: 1,
        tunnelStreams: 50,
        rssPer1000ConnectionsMiB: 8,
      },
      { label: 'later', mode: 'mtls', runtime: 'node24', pending: 'runtime missing' },
    ]);
    expect(table).toContain('| tunnel | 800 | 0.80× | 0.100 | 0.40 | 1.50 | 0.50 | 1 (50) | 8.0 |');
    expect(table).toContain('| plain | 1,000 |  | 0.100 | 0.40 | 1.00 |  | — | 2.0 |');
    expect(table).toContain('| later | pending: runtime missing |');
  });

  it('replaces the latest results between the markers of the docs page, and only there', () => {
    const page = 'intro\n<!-- latest:begin -->\nold\n<!-- latest:end -->\nend\n';
    expect(replaceLatest(page, 'new')).toBe('intro\n<!-- latest:begin -->\nnew\n<!-- latest:end -->\nend\n');
    expect(replaceLatest('no markers', 'new')).toBe('no markers');
  });

  it('renders only the sections that ran', () => {
    const text = renderReport({ mode: 'quick', settings: { runs: 1, rates: [] }, scale: [] });
    expect(text).toContain('## Control-plane scale');
    expect(text).not.toContain('## HTTP data plane');
  });
});

describe('convergence', () => {
  it('converges at the first answer of a streak from the expected backend, restarting on any other', () => {
    const tracker = createStreakTracker('v2', 3);
    expect(tracker.observe('v1', 1)).toBeUndefined();
    expect(tracker.observe('v2', 2)).toBeUndefined();
    expect(tracker.observe('status 502', 3)).toBeUndefined();
    expect(tracker.observe('v2', 4)).toBeUndefined();
    expect(tracker.observe('v2', 5)).toBeUndefined();
    expect(tracker.observe('v2', 6)).toBe(4);
    expect(createStreakTracker('v1', 1).observe('v1', 7)).toBe(7);
  });

  it('flips the split so that every change moves all traffic, and pauses out of step with the syncs', () => {
    expect([0, 1, 2, 3].map(flipTarget)).toEqual(['v2', 'v1', 'v2', 'v1']);
    expect(splitPatch('v2')).toEqual({
      spec: {
        backends: [
          { service: 'orders-v1', weight: 0 },
          { service: 'orders-v2', weight: 100 },
        ],
      },
    });
    expect(podReadyPatch(false)).toEqual({ status: { conditions: [{ type: 'Ready', status: 'False' }] } });
    const pauses = Array.from({ length: 100 }, (_, i) => pauseBefore(i));
    expect(Math.min(...pauses)).toBeGreaterThanOrEqual(60);
    expect(new Set(pauses.map((p) => p % 50)).size).toBeGreaterThan(20);
  });

  it('summarises delays by nearest rank and counts timeouts apart', () => {
    const summary = summarizeDelays(
      Array.from({ length: 100 }, (_, i) => i + 1),
      2,
    );
    expect(summary).toEqual({ count: 100, timedOut: 2, p50: 50, p99: 99, max: 100 });
  });

  it('fills the convergence target from the split p99, and a timeout makes it a missed lower bound', () => {
    const split = { count: 100, timedOut: 0, p50: 10, p99: 120, max: 130 };
    const converged = evaluateTargets({ convergence: { timeoutMs: 5000, split } }).find((t) =>
      t.name.startsWith('convergence'),
    );
    expect(converged).toMatchObject({ met: true, gap: 'met' });
    expect(converged?.value).toContain('120.0 ms');
    const late = evaluateTargets({
      convergence: { timeoutMs: 5000, split: { ...split, count: 99, timedOut: 1 } },
    }).find((t) => t.name.startsWith('convergence'));
    expect(late).toMatchObject({ met: false, gap: '4,500.0 ms short' });
    const table = convergenceTable({ timeoutMs: 5000, split, endpointRemoved: split });
    expect(table.split('\n')).toHaveLength(4);
    expect(table).toContain('| 100 | 10.0 | 120.0 | 130.0 | 0 |');
    expect(convergenceTable({ error: 'boom' })).toContain('failed: boom');
  });
});

describe('svg chart', () => {
  it('places percentiles by nines and rounds the axis up', () => {
    expect(ninesOf(90)).toBeCloseTo(1);
    expect(ninesOf(99.9)).toBeCloseTo(3);
    expect(ninesOf(100)).toBe(4);
    expect(niceCeiling(3.2)).toBe(5);
    expect(niceCeiling(0)).toBe(1);
    expect(escapeXml('<a & "b">')).toBe('&lt;a &amp; &quot;b&quot;&gt;');
  });

  it('draws one line per series and escapes names', () => {
    const svg = renderLatencyChart({
      title: 'latency',
      series: [
        {
          name: 'a<b',
          curve: [
            { p: 50, ms: 1 },
            { p: 99, ms: 4 },
          ],
        },
        { name: 'c', curve: [{ p: 50, ms: Number.NaN }] },
      ],
    });
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg.match(/<polyline/g)).toHaveLength(1);
    expect(svg).toContain('a&lt;b');
  });
});
