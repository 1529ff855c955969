/**
 * Results → markdown: the machine, one table per section, and the issue's targets with the measured value
 * and the gap. Pure; a target is never a failure, only a line that says how far off it is.
 */
import { ratio } from './stats.mjs';

/** A markdown table; cells are strings, `|` in them escaped. */
export function renderTable(headers, rows) {
  const cell = (v) => String(v).replaceAll('|', '\\|');
  return [
    `| ${headers.map(cell).join(' | ')} |`,
    `| ${headers.map(() => '---').join(' | ')} |`,
    ...rows.map((row) => `| ${row.map(cell).join(' | ')} |`),
  ].join('\n');
}

/** A number with `digits` significant-ish decimals; '—' when not finite. */
export function num(v, digits = 0) {
  if (!Number.isFinite(v)) return '—';
  return v.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** Median with the min–max of the runs: `12,345 (12,001–12,500)`; '—' for a missing summary. */
export function med(summary, digits = 0) {
  if (!summary || !Number.isFinite(summary.median)) return '—';
  if (summary.runs <= 1) return num(summary.median, digits);
  return `${num(summary.median, digits)} (${num(summary.min, digits)}–${num(summary.max, digits)})`;
}

const byId = (list, id) => (list ?? []).find((v) => v.id === id);

function notMeasured(v) {
  // The first clause only: the table stays narrow; the JSON keeps the whole reason.
  if (v.pending) return `pending: ${v.pending.split(' (')[0]}`;
  if (v.error) return `failed: ${v.error}`;
  return undefined;
}

export function httpTable(http, rates) {
  const nginx = byId(http, 'nginx');
  const direct = byId(http, 'direct');
  const headers = [
    'variant',
    'max req/s',
    'vs nginx',
    'vCPU per 1000 req/s (at max)',
    'req/s per full core (from CPU)',
    ...rates.flatMap((r) => [
      `p50 ms @${r}/s`,
      `p99 ms @${r}/s`,
      `added p99 ms @${r}/s`,
      `vCPU per 1000 req/s @${r}/s`,
    ]),
    'RSS MiB',
  ];
  const rows = (http ?? []).map((v) => {
    const why = notMeasured(v);
    if (why) return [v.label, why, ...headers.slice(2).map(() => '')];
    return [
      v.label,
      med(v.maxRps),
      num(ratio(v.maxRps?.median, nginx?.maxRps?.median), 2),
      num(v.vcpuPer1000AtMax?.median, 3),
      num(1000 / v.vcpuPer1000AtMax?.median),
      ...rates.flatMap((r) => {
        const at = v.rates?.[r];
        const added = at?.p99?.median - direct?.rates?.[r]?.p99?.median;
        // Above the variant's own max the queue only grows: the latency then measures the overload.
        const over = v.maxRps?.median < r ? ' (over max)' : '';
        return [
          `${med(at?.p50, 2)}${over}`,
          `${med(at?.p99, 2)}${over}`,
          v.id === 'direct' ? '' : num(added, 2),
          num(at?.vcpuPer1000?.median, 3),
        ];
      }),
      num(v.rssMiB, 0),
    ];
  });
  return renderTable(headers, rows);
}

export function tcpTable(tcp) {
  const direct = byId(tcp, 'direct');
  return renderTable(
    ['variant', 'bulk Gbit/s', 'vs direct', 'new connections/s', 'vs direct', 'RSS MiB'],
    (tcp ?? []).map((v) => {
      const why = notMeasured(v);
      if (why) return [v.label, why, '', '', '', ''];
      return [
        v.label,
        med(v.bulkGbps, 2),
        num(ratio(v.bulkGbps?.median, direct?.bulkGbps?.median), 2),
        med(v.connectionsPerSecond),
        num(ratio(v.connectionsPerSecond?.median, direct?.connectionsPerSecond?.median), 2),
        num(v.rssMiB),
      ];
    }),
  );
}

export function udpTable(udp) {
  const direct = byId(udp, 'direct');
  return renderTable(
    ['variant', 'echo packets/s', 'vs direct', 'lost', 'RSS MiB'],
    (udp ?? []).map((v) => {
      const why = notMeasured(v);
      if (why) return [v.label, why, '', '', ''];
      return [
        v.label,
        med(v.packetsPerSecond),
        num(ratio(v.packetsPerSecond?.median, direct?.packetsPerSecond?.median), 2),
        num(v.lost),
        num(v.rssMiB),
      ];
    }),
  );
}

export function dnsTable(dns) {
  const unbound = byId(dns?.servers, 'unbound');
  return renderTable(
    [
      'server',
      'queries/s',
      'vs unbound',
      'lost',
      `p50 ms @${dns?.rate}/s`,
      `p99 ms @${dns?.rate}/s`,
      'RSS MiB',
    ],
    (dns?.servers ?? []).map((s) => {
      const why = notMeasured(s);
      if (why) return [s.label, why, '', '', '', '', ''];
      return [
        s.label,
        med(s.qps),
        num(ratio(s.qps?.median, unbound?.qps?.median), 2),
        num(s.lost),
        med(s.p50, 3),
        med(s.p99, 3),
        num(s.rssMiB),
      ];
    }),
  );
}

export function scaleTable(scale) {
  return renderTable(
    [
      'Services × endpoints',
      'full build ms',
      'full apply ms',
      'incremental build ms',
      'incremental apply ms (max)',
      'heap MiB',
      'RSS MiB',
    ],
    (scale ?? []).map((s) => {
      if (s.error) return [`${s.services}`, `failed: ${s.error}`, '', '', '', '', ''];
      return [
        `${num(s.services)} × ${s.endpointsPerService}`,
        med(s.fullBuildMs, 1),
        num(s.fullApplyMs, 1),
        med(s.incrementalBuildMs, 2),
        `${med(s.incrementalApplyMs, 1)} (${num(s.incrementalApplyMaxMs, 1)})`,
        num(s.heapUsedMiB),
        num(s.rssMiB),
      ];
    }),
  );
}

/**
 * Convergence: per kind of change, how many changes, p50/p99/max of the delay until the proxy served it,
 * and how many were not served within the bound (left out of the percentiles, never hidden).
 */
export function convergenceTable(convergence) {
  const headers = [
    'change',
    'changes',
    'p50 ms',
    'p99 ms',
    'max ms',
    `not served within ${num((convergence?.timeoutMs ?? 0) / 1000)} s`,
  ];
  if (!convergence || convergence.error)
    return renderTable(headers, [[`failed: ${convergence?.error ?? 'not run'}`, '', '', '', '', '']]);
  const row = (label, d) =>
    d
      ? [label, num(d.count + d.timedOut), num(d.p50, 1), num(d.p99, 1), num(d.max, 1), num(d.timedOut)]
      : undefined;
  return renderTable(
    headers,
    [
      row('TrafficSplit flipped (100/0 ↔ 0/100) → only the new backend answers', convergence.split),
      row('pod not Ready → its endpoint gets no more traffic', convergence.endpointRemoved),
      row('pod Ready again → its endpoint answers again', convergence.endpointRestored),
    ].filter((r) => r !== undefined),
  );
}

/** The issue's targets: each with the measured value, whether it is met, and the gap. */
export function evaluateTargets(results) {
  const http = results.http ?? [];
  const direct = byId(http, 'direct');
  const proxy = byId(http, 'node-proxy');
  const full = byId(http, 'node-proxy-policy');
  const nginx = byId(http, 'nginx');
  const measuredProxy = full && !notMeasured(full) ? full : proxy;
  const proxyNote = measuredProxy === full ? '' : ' (no-policy proxy; full policy pending)';
  const scale10k = (results.scale ?? []).find((s) => s.services === 10_000 && !s.error);
  const tcpDirect = byId(results.tcp, 'direct');
  const tcpProxy = byId(results.tcp, 'node-proxy');
  const dnsMesh = byId(results.dns?.servers, 'mesh-dns');
  const dnsUnbound = byId(results.dns?.servers, 'unbound');
  const convergence = convergenceP99(results.convergence);
  const target = (name, limit, value, unit, lowerIsBetter, note = '') => {
    const limitText = `${lowerIsBetter ? '≤' : '≥'} ${limit}${unit}`;
    if (!Number.isFinite(value))
      return { name, limit: limitText, value: 'not measured', met: undefined, gap: note };
    const met = lowerIsBetter ? value <= limit : value >= limit;
    const gap = lowerIsBetter ? value - limit : limit - value;
    return {
      name,
      limit: limitText,
      value: `${num(value, value < 10 ? 3 : 1)}${unit}${note}`,
      met,
      gap: met ? 'met' : `${num(gap, gap < 10 ? 3 : 1)}${unit} short`,
    };
  };
  return [
    target(
      'full-policy proxy CPU at 1000 req/s',
      0.1,
      measuredProxy?.rates?.[1000]?.vcpuPer1000?.median,
      ' vCPU per 1000 req/s',
      true,
      proxyNote,
    ),
    target(
      'p99 added over direct at 1000 req/s',
      1,
      measuredProxy?.rates?.[1000]?.p99?.median - direct?.rates?.[1000]?.p99?.median,
      ' ms',
      true,
      proxyNote,
    ),
    target(
      'max req/s vs nginx (one core each)',
      0.5,
      ratio(measuredProxy?.maxRps?.median, nginx?.maxRps?.median),
      '×',
      false,
      proxyNote,
    ),
    target(
      'req/s per full core vs nginx, from CPU per request (steadier on a shared machine)',
      0.5,
      ratio(nginx?.vcpuPer1000AtMax?.median, measuredProxy?.vcpuPer1000AtMax?.median),
      '×',
      false,
      proxyNote,
    ),
    target(
      'TCP bulk throughput vs direct',
      0.8,
      ratio(tcpProxy?.bulkGbps?.median, tcpDirect?.bulkGbps?.median),
      '×',
      false,
    ),
    target('DNS queries/s vs unbound', 0.5, ratio(dnsMesh?.qps?.median, dnsUnbound?.qps?.median), '×', false),
    target('convergence p99 (API server → proxy)', 500, convergence.value, ' ms', true, convergence.note),
    target('10 000 Services: proxy memory (RSS)', 300, scale10k?.rssMiB, ' MiB', true),
    target(
      '10 000 Services: incremental update (apply, median)',
      50,
      scale10k?.incrementalApplyMs?.median,
      ' ms',
      true,
    ),
  ];
}

/**
 * The convergence figure of the target: the TrafficSplit changes' p99, with a note. A change not served
 * within the bound has no delay; with any such change the figure is the bound itself, a lower limit.
 */
function convergenceP99(convergence) {
  const split = convergence?.split;
  if (convergence?.error) return { value: Number.NaN, note: `failed: ${convergence.error}` };
  if (!split || split.count + split.timedOut === 0) return { value: Number.NaN, note: 'not in this run' };
  if (split.timedOut === 0) return { value: split.p99, note: ` (${split.count} TrafficSplit changes)` };
  return {
    value: convergence.timeoutMs,
    note: ` or more: ${split.timedOut} of ${split.count + split.timedOut} changes not served within the bound`,
  };
}

export function targetsTable(results) {
  return renderTable(
    ['target', 'limit', 'measured', 'met', 'gap'],
    evaluateTargets(results).map((t) => [
      t.name,
      t.limit,
      t.value,
      t.met === undefined ? '—' : t.met ? 'yes' : 'no',
      t.gap,
    ]),
  );
}

/** How often the open-loop generator itself sent late (> 1 ms after the slot): a sign of a busy load core. */
export function generatorNote(http, rates) {
  const parts = [];
  for (const v of http ?? []) {
    for (const r of rates) {
      const at = v.rates?.[r];
      if (at?.scheduled > 0) parts.push(`${v.label} @${r}/s ${num((100 * at.late) / at.scheduled, 0)}%`);
    }
  }
  return parts.length === 0
    ? ''
    : `Requests the generator sent more than 1 ms after their slot (load core busy; their delay is in the latency): ${parts.join(', ')}. Failed requests: ${(
        http ?? []
      )
        .flatMap((v) => rates.map((r) => v.rates?.[r]?.failed ?? 0))
        .reduce((a, b) => a + b, 0)}.`;
}

export function renderReport(results, { chartPrefix = '' } = {}) {
  const m = results.machine ?? {};
  const s = results.settings ?? {};
  const rates = s.rates ?? [];
  return `# Nodemesh benchmark results

${results.mode === 'quick' ? '**Quick mode**: shorter runs, fewer repetitions; for development, not for comparison.\n\n' : ''}Run ${results.startedAt} → ${results.finishedAt} (${results.mode}); ${s.runs} runs per figure, median (min–max).
Machine: ${m.cpuModel}, ${m.cores} cores, ${m.memoryGiB} GiB, ${m.kernel}, ${m.os}, Node ${m.node}.
Load average (1 min) at start ${(m.loadAverage ?? [])[0]}; before each section: ${Object.entries(
    results.loadAverages ?? {},
  )
    .map(([k, v]) => `${k} ${v}`)
    .join(', ')}. A load above the core count means other work shared the cores: treat ratios as indicative.
Tools: ${Object.entries(m.tools ?? {})
    .map(([k, v]) => `${k} ${v}`)
    .join(
      ', ',
    )}. Load generators and origins pinned to CPU ${s.loadCpu}, the system under test to CPU ${s.sutCpu}.

## Targets (issue 9)

${targetsTable(results)}

${
  results.http
    ? `## HTTP data plane

Keep-alive, ${s.wrkConnections} connections, a ${s.bodyBytes ?? 37}-byte body from one nginx origin. Max req/s: wrk, ${s.maxSeconds} s per run;
fixed rates: open-loop generator, ${s.rateSeconds} s per run, latency from each request's scheduled send time.

${httpTable(results.http, rates)}

${generatorNote(results.http, rates)}

Latency by percentile: ${rates.map((r) => `[${r}/s](${chartPrefix}latency-${r}rps.svg)`).join(', ')}.

`
    : ''
}${
  results.tcp
    ? `## TCP

Bulk: one connection reading ${num((s.bulkBytes ?? 0) / 2 ** 20)} MiB. New connections: 16 concurrent clients, each waiting for the origin's one-byte greeting, ${s.connectSeconds} s.

${tcpTable(results.tcp)}

`
    : ''
}${
  results.udp
    ? `## UDP

Echo of 64-byte datagrams, 4 client sockets with 32 in flight each, ${s.udpSeconds} s.

${udpTable(results.udp)}

`
    : ''
}${
  results.dns
    ? `## DNS

${num(results.dns?.names)} names (A), the same dnsperf query file for both; max queries/s with 4 clients and 200 outstanding, ${s.dnsSeconds} s; latency from dnsperf -v at ${results.dns?.rate} queries/s.

${dnsTable(results.dns)}

`
    : ''
}${
  results.scale
    ? `## Control-plane scale

${scaleTable(results.scale)}

`
    : ''
}${
  results.convergence
    ? `## Convergence

A change written to the in-memory API server until the node-proxy (informers, defaults of \`nodemesh-proxy run\`) serves it, seen from one client polling it over one keep-alive connection; from just before the write to the first of the answers in a row that show the change (${results.convergence.streaks?.split ?? '—'} for a split, ${results.convergence.streaks?.readiness ?? '—'} for a removed endpoint, 1 for a restored one).

${convergenceTable(results.convergence)}
`
    : ''
}`;
}

/** The short form for docs/benchmarks.md: when and where, the targets, then each section's table. */
export function renderSummary(results) {
  const m = results.machine ?? {};
  const tables = [
    ['Targets', targetsTable(results)],
    ['HTTP', results.http && httpTable(results.http, results.settings?.rates ?? [])],
    ['TCP', results.tcp && tcpTable(results.tcp)],
    ['UDP', results.udp && udpTable(results.udp)],
    ['DNS', results.dns && dnsTable(results.dns)],
    ['Control-plane scale', results.scale && scaleTable(results.scale)],
    ['Convergence', results.convergence && convergenceTable(results.convergence)],
  ].filter(([, table]) => table);
  return [
    `Run ${results.startedAt} (${results.mode}, ${results.settings?.runs} runs per figure, median (min–max)) on ${m.cpuModel}, ${m.cores} cores, Node ${m.node}; 1-minute load average before the sections: ${Object.values(results.loadAverages ?? {}).join(', ')}.`,
    ...tables.map(([name, table]) => `**${name}**\n\n${table}`),
  ].join('\n\n');
}

/** Replaces what lies between `<!-- latest:begin -->` and `<!-- latest:end -->`; text unchanged without them. */
export function replaceLatest(text, content) {
  const begin = '<!-- latest:begin -->';
  const end = '<!-- latest:end -->';
  const from = text.indexOf(begin);
  const to = text.indexOf(end);
  if (from < 0 || to < from) return text;
  return `${text.slice(0, from + begin.length)}\n${content}\n${text.slice(to)}`;
}
