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

/** The variant of the same kind on another runtime, or of another kind on the same runtime. */
const sibling = (list, kind, runtime) => (list ?? []).find((v) => v.kind === kind && v.runtime === runtime);

export function httpTable(http, rates) {
  const nginx = byId(http, 'nginx');
  const direct = byId(http, 'direct');
  const headers = [
    'variant',
    'max req/s',
    'vs nginx',
    'vs bare node:http + undici (same Node)',
    'vCPU per 1000 req/s (at max)',
    ...rates.flatMap((r) => [
      `p50 ms @${r}/s`,
      `p99 ms @${r}/s`,
      `added p50 ms @${r}/s`,
      `added p99 ms @${r}/s`,
      `vCPU per 1000 req/s @${r}/s`,
    ]),
    'RSS MiB',
  ];
  const rows = (http ?? []).map((v) => {
    const why = notMeasured(v);
    if (why) return [v.label, why, ...headers.slice(2).map(() => '')];
    const bare = v.runtime === undefined ? undefined : sibling(http, 'bare', v.runtime);
    return [
      v.label,
      med(v.maxRps),
      num(ratio(v.maxRps?.median, nginx?.maxRps?.median), 2),
      v.kind === 'bare' || bare === undefined ? '' : num(ratio(v.maxRps?.median, bare?.maxRps?.median), 2),
      num(v.vcpuPer1000AtMax?.median, 3),
      ...rates.flatMap((r) => {
        const at = v.rates?.[r];
        const base = direct?.rates?.[r];
        // Above the variant's own max the queue only grows: the latency then measures the overload.
        const over = v.maxRps?.median < r ? ' (over max)' : '';
        return [
          `${med(at?.p50, 2)}${over}`,
          `${med(at?.p99, 2)}${over}`,
          v.id === 'direct' ? '' : num(at?.p50?.median - base?.p50?.median, 2),
          v.id === 'direct' ? '' : num(at?.p99?.median - base?.p99?.median, 2),
          num(at?.vcpuPer1000?.median, 3),
        ];
      }),
      num(v.rssMiB, 0),
    ];
  });
  return renderTable(headers, rows);
}

/**
 * Where a request's CPU goes: µs per request in user space and in the kernel, flat out and at each fixed
 * rate. At a low rate every request wakes the process on its own, so what a request costs there (not at max,
 * where one wake-up serves many) is what its latency is made of.
 */
export function httpCpuTable(http, rates) {
  const headers = [
    'variant',
    'user µs per request (at max)',
    'kernel µs per request (at max)',
    ...rates.flatMap((r) => [`user µs per request @${r}/s`, `kernel µs per request @${r}/s`]),
  ];
  const rows = (http ?? [])
    .filter((v) => v.kind !== 'direct' && !notMeasured(v))
    .map((v) => [
      v.label,
      num(v.userUsAtMax?.median, 1),
      num(v.systemUsAtMax?.median, 1),
      ...rates.flatMap((r) => [num(v.rates?.[r]?.userUs?.median, 1), num(v.rates?.[r]?.systemUs?.median, 1)]),
    ]);
  return renderTable(headers, rows);
}

export function tcpTable(tcp) {
  const direct = byId(tcp, 'direct');
  const haproxy = byId(tcp, 'haproxy');
  return renderTable(
    ['variant', 'bulk Gbit/s', 'vs direct', 'new connections/s', 'vs direct', 'vs haproxy', 'RSS MiB'],
    (tcp ?? []).map((v) => {
      const why = notMeasured(v);
      if (why) return [v.label, why, '', '', '', '', ''];
      return [
        v.label,
        med(v.bulkGbps, 2),
        num(ratio(v.bulkGbps?.median, direct?.bulkGbps?.median), 2),
        med(v.connectionsPerSecond),
        num(ratio(v.connectionsPerSecond?.median, direct?.connectionsPerSecond?.median), 2),
        num(ratio(v.connectionsPerSecond?.median, haproxy?.connectionsPerSecond?.median), 2),
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
  const reflector = (s) => sibling(dns?.servers, 'reflector', s.runtime);
  return renderTable(
    [
      'server',
      'queries/s',
      'vs unbound',
      'vs the reflector (same Node)',
      'lost',
      `p50 ms @${dns?.rate}/s`,
      `p99 ms @${dns?.rate}/s`,
      'RSS MiB',
    ],
    (dns?.servers ?? []).map((s) => {
      const why = notMeasured(s);
      if (why) return [s.label, why, '', '', '', '', '', ''];
      return [
        s.label,
        med(s.qps),
        num(ratio(s.qps?.median, unbound?.qps?.median), 2),
        s.kind === 'mesh-dns' ? num(ratio(s.qps?.median, reflector(s)?.qps?.median), 2) : '',
        num(s.lost),
        med(s.p50, 3),
        med(s.p99, 3),
        num(s.rssMiB),
      ];
    }),
  );
}

/** 1 vs 2 workers, flat out; each two-worker row also says how many times its one-worker row it serves. */
export function coresTable(cores) {
  return renderTable(
    ['variant', 'CPUs', 'max req/s', 'vs its 1 worker', 'vCPU per 1000 req/s (at max)', 'errors', 'RSS MiB'],
    (cores ?? []).map((v) => {
      const why = notMeasured(v);
      if (why) return [v.label, why, '', '', '', '', ''];
      const one = (cores ?? []).find((o) => o.kind === v.kind && o.runtime === v.runtime && o.workers === 1);
      return [
        v.label,
        v.cpus,
        med(v.maxRps),
        v.workers === 1 ? '' : num(ratio(v.maxRps?.median, one?.maxRps?.median), 2),
        num(v.vcpuPer1000AtMax?.median, 3),
        num(v.errorsAtMax),
        num(v.rssMiB),
      ];
    }),
  );
}

/** Idle resident memory: the total, and each process (the primary first, then the workers). */
/** mTLS between node proxies: each runtime's plaintext and tunnelled paths, the tunnel's cost beside them. */
export function mtlsTable(mtls) {
  const headers = [
    'cross-node path',
    'max req/s',
    'vs plaintext',
    'vCPU per 1000 req/s at max',
    'p50 ms at 1000/s',
    'p99 ms at 1000/s',
    'added p99 ms',
    'TLS handshakes (tunnel streams)',
    'RSS MiB per 1000 open TCP connections',
  ];
  const rows = (mtls ?? []).map((v) => {
    const missing = notMeasured(v);
    if (missing !== undefined) return [v.label, missing, '', '', '', '', '', '', ''];
    const plain = (mtls ?? []).find((p) => p.mode === 'plaintext' && p.runtime === v.runtime);
    const isTunnel = v.mode === 'mtls' && plain?.maxRps;
    return [
      v.label,
      med(v.maxRps),
      isTunnel ? `${num(ratio(v.maxRps.median, plain.maxRps.median), 2)}×` : '',
      med(v.vcpuPer1000AtMax, 3),
      med(v.p50, 2),
      med(v.p99, 2),
      isTunnel ? num(v.p99.median - plain.p99.median, 2) : '',
      v.mode === 'mtls' ? `${num(v.handshakes)} (${num(v.tunnelStreams)})` : '—',
      num(v.rssPer1000ConnectionsMiB, 1),
    ];
  });
  return renderTable(headers, rows);
}

export function memoryTable(memory) {
  return renderTable(
    ['proxy', 'idle RSS MiB (all processes)', 'per process MiB'],
    (memory ?? []).map((m) => {
      if (m.pending) return [m.label, `pending: ${m.pending}`, ''];
      if (m.error) return [m.label ?? 'memory', `failed: ${m.error}`, ''];
      return [m.label, num(m.totalMiB, 1), (m.processMiB ?? []).map((x) => num(x, 1)).join(' + ')];
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

/** A target: the measured value against its limit, whether it is met and the gap (never a failure). */
function target(name, limit, value, unit, lowerIsBetter, note = '') {
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
}

/** The median a variant adds over direct at 1000 req/s, in ms (NaN when either was not measured). */
function addedAt1000(variant, direct) {
  return variant?.rates?.[1000]?.p50?.median - direct?.rates?.[1000]?.p50?.median;
}

/** A figure the issue asks to see beside the targets, with no limit of its own. */
function reported(name, value) {
  return { name, limit: 'reported', value, met: undefined, gap: '—' };
}

/** The runtimes measured, in the order they ran (the machine's Node first). */
function runtimesOf(results) {
  const seen = [];
  for (const v of [...(results.http ?? []), ...(results.dns?.servers ?? []), ...(results.memory ?? [])]) {
    if (v.runtime !== undefined && !seen.includes(v.runtime)) seen.push(v.runtime);
  }
  return seen;
}

const nodeName = (runtime) => runtime.replace(/^node/, 'Node ');

/** The issue's targets (issue 16): each with the measured value, whether it is met, and the gap. */
export function evaluateTargets(results) {
  const http = results.http ?? [];
  const direct = byId(http, 'direct');
  const rows = [];
  for (const runtime of runtimesOf(results)) {
    const on = nodeName(runtime);
    const full = sibling(http, 'node-proxy-policy', runtime);
    const bare = sibling(http, 'bare', runtime);
    if (full === undefined && bare === undefined) continue;
    const why = full === undefined ? 'not in this run' : (notMeasured(full) ?? '');
    rows.push(
      target(
        `HTTP full policy: max req/s vs the bare node:http + undici pass-through, ${on}`,
        0.8,
        ratio(full?.maxRps?.median, bare?.maxRps?.median),
        '×',
        false,
        why,
      ),
      target(
        `HTTP full policy: vCPU per 1000 req/s at max, ${on}`,
        0.06,
        full?.vcpuPer1000AtMax?.median,
        '',
        true,
        why,
      ),
      target(
        `HTTP full policy: median added over direct at 1000 req/s, ${on}`,
        0.3,
        addedAt1000(full, direct),
        ' ms',
        true,
        why,
      ),
      reported(
        `HTTP full policy: p99 at 1000 req/s, ${on} (direct's p99 and its spread)`,
        `${med(full?.rates?.[1000]?.p99, 2)} ms (direct ${med(direct?.rates?.[1000]?.p99, 2)} ms)`,
      ),
      reported(
        `HTTP: the bare node:http + undici pass-through on ${on}, beside the rows above`,
        `${num(bare?.vcpuPer1000AtMax?.median, 3)} vCPU per 1000 req/s at max; adds ${num(addedAt1000(bare, direct), 2)} ms at the median at 1000 req/s`,
      ),
    );
  }
  const cProxies = ['nginx', 'haproxy'].map((id) => byId(http, id)).filter((v) => v !== undefined);
  if (cProxies.length > 0) {
    rows.push(
      reported(
        'HTTP: what one proxy hop in C adds on this machine, median at 1000 req/s',
        cProxies.map((v) => `${v.label} ${num(addedAt1000(v, direct), 2)} ms`).join('; '),
      ),
    );
  }
  const tcpDirect = byId(results.tcp, 'direct');
  const haproxy = byId(results.tcp, 'haproxy');
  const udpDirect = byId(results.udp, 'direct');
  for (const runtime of runtimesOf(results)) {
    const on = nodeName(runtime);
    const tcp = sibling(results.tcp, 'node-proxy-policy', runtime);
    const udp = sibling(results.udp, 'node-proxy-policy', runtime);
    if (tcp !== undefined) {
      rows.push(
        target(
          `TCP bulk vs direct, ${on}`,
          0.9,
          ratio(tcp.bulkGbps?.median, tcpDirect?.bulkGbps?.median),
          '×',
          false,
        ),
        target(
          `TCP new connections/s vs haproxy, ${on}`,
          1,
          ratio(tcp.connectionsPerSecond?.median, haproxy?.connectionsPerSecond?.median),
          '×',
          false,
        ),
      );
    }
    if (udp !== undefined) {
      rows.push(
        target(
          `UDP echo vs direct, ${on}`,
          0.8,
          ratio(udp.packetsPerSecond?.median, udpDirect?.packetsPerSecond?.median),
          '×',
          false,
          Number.isFinite(udp.lost) ? ` (${num(udp.lost)} lost)` : '',
        ),
        target(`UDP datagrams lost at the bench's depth, ${on}`, 0, udp.lost, '', true),
      );
    }
  }
  const servers = results.dns?.servers ?? [];
  const unbound = byId(servers, 'unbound');
  for (const runtime of runtimesOf(results)) {
    const mesh = sibling(servers, 'mesh-dns', runtime);
    if (mesh === undefined) continue;
    const reflector = sibling(servers, 'reflector', runtime);
    rows.push(
      target(
        `DNS queries/s vs unbound, ${nodeName(runtime)}`,
        0.6,
        ratio(mesh.qps?.median, unbound?.qps?.median),
        '×',
        false,
        ` (the bare reflector: ${num(ratio(reflector?.qps?.median, unbound?.qps?.median), 2)}×)`,
      ),
    );
  }
  for (const m of results.memory ?? []) {
    if (m.workers !== 1 || m.runtime === undefined) continue;
    rows.push(target(`idle proxy RSS (--workers 1), ${nodeName(m.runtime)}`, 100, m.totalMiB, ' MiB', true));
  }
  const scale10k = (results.scale ?? []).find((s) => s.services === 10_000 && !s.error);
  rows.push(target('10 000 Services: proxy memory (RSS)', 200, scale10k?.rssMiB, ' MiB', true));
  rows.push(...coreTargets(results.cores ?? []));
  const convergence = convergenceP99(results.convergence);
  rows.push(
    target('convergence p99 (API server → proxy)', 500, convergence.value, ' ms', true, convergence.note),
    target(
      '10 000 Services: incremental update (apply, median)',
      50,
      scale10k?.incrementalApplyMs?.median,
      ' ms',
      true,
    ),
  );
  return rows;
}

/** Two workers vs one: the node-proxy's gain against nginx's in the same run (at least 0.9 of it). */
function coreTargets(cores) {
  const gain = (kind, runtime) => {
    const of = (workers) =>
      cores.find((c) => c.kind === kind && c.runtime === runtime && c.workers === workers)?.maxRps?.median;
    return ratio(of(2), of(1));
  };
  const nginxGain = gain('nginx', undefined);
  const runtimes = [...new Set(cores.filter((c) => c.kind === 'node-proxy-policy').map((c) => c.runtime))];
  return runtimes.map((runtime) =>
    target(
      `2 workers vs 1 (max req/s), full policy, ${nodeName(runtime)}, against nginx's ${num(nginxGain, 2)}×`,
      Number.isFinite(nginxGain) ? Math.round(0.9 * nginxGain * 100) / 100 : Number.NaN,
      gain('node-proxy-policy', runtime),
      '×',
      false,
    ),
  );
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
  const erring = (http ?? []).filter((v) => v.errorsAtMax > 0).map((v) => `${v.label} ${num(v.errorsAtMax)}`);
  const errors =
    erring.length === 0 ? '' : ` Errors answered at max (counted in its req/s): ${erring.join(', ')}.`;
  return `${latenessNote(http, rates)}${errors}`;
}

function latenessNote(http, rates) {
  const parts = [];
  for (const v of http ?? []) {
    for (const r of rates) {
      const at = v.rates?.[r];
      if (at?.scheduled > 0) parts.push(`${v.label} @${r}/s ${num((100 * at.late) / at.scheduled, 0)}%`);
    }
  }
  return parts.length === 0
    ? ''
    : `Requests wrk sent more than 1 ms after their slot (every connection was busy: the server stalled): ${parts.join(', ')}. Failed requests: ${(
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

${results.mode !== 'full' ? `**${results.mode} mode**: shorter runs, fewer repetitions; for development, not for comparison.\n\n` : ''}Run ${results.startedAt} → ${results.finishedAt} (${results.mode}); ${s.runs} runs per figure, median (min–max).
Machine: ${m.cpuModel}, ${m.cores} cores, ${m.memoryGiB} GiB, ${m.kernel}, ${m.os}, Node ${m.node}${
    (results.runtimes ?? []).length > 1
      ? ` (also measured on ${results.runtimes
          .slice(1)
          .map((r) => r.version)
          .join(', ')})`
      : ''
  }.
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

## Targets (issue 16)

${targetsTable(results)}

${
  results.http
    ? `## HTTP data plane

Keep-alive, ${s.wrkConnections} connections, a ${s.bodyBytes ?? 37}-byte body from one nginx origin. Max req/s: wrk flat out, ${s.maxSeconds} s per run;
fixed rates: wrk paced by load/paced.lua over ${s.pacedConnections} connections, ${s.rateSeconds} s per run; added latency is over direct's at the same rate.
Rounds interleaved: each round runs every variant once (started afresh, warmed up), so a variant and its baseline share the machine's state of the moment.

${httpTable(results.http, rates)}

${generatorNote(results.http, rates)}

Where a request's CPU goes (the same runs): at a fixed rate each request wakes the system under test on its own (its caches likely cold: this machine has no hardware counters to show it), so it costs several times what it costs flat out; the user-space part is what sets a proxy's added latency apart from another's.

${httpCpuTable(results.http, rates)}

Latency by percentile: ${rates.map((r) => `[${r}/s](${chartPrefix}latency-${r}rps.svg)`).join(', ')}.

`
    : ''
}${
  results.tcp
    ? `## TCP

Bulk: one connection reading ${num((s.bulkBytes ?? 0) / 2 ** 20)} MiB. New connections: 16 concurrent clients, each waiting for the origin's one-byte greeting, ${s.connectSeconds} s.
Rounds interleaved, as for HTTP.

${tcpTable(results.tcp)}

`
    : ''
}${
  results.udp
    ? `## UDP

Echo of 64-byte datagrams, 4 client sockets with 32 in flight each, ${s.udpSeconds} s.
Rounds interleaved, as for HTTP.

${udpTable(results.udp)}

`
    : ''
}${
  results.dns
    ? `## DNS

${num(results.dns?.names)} names (A), the same dnsperf query file for every server; max queries/s with 4 clients and 200 outstanding, ${s.dnsSeconds} s; latency from dnsperf -v at ${results.dns?.rate} queries/s. The reflector answers each query with itself (no lookup): the floor of a DNS server in Node.js.
Rounds interleaved, as for HTTP.

${dnsTable(results.dns)}

`
    : ''
}${
  results.cores
    ? `## Scale across cores

Full-policy node-proxy with 1 worker on the SUT core and with 2 workers on both cores (\`--workers 2\`: worker processes on one port), nginx the same way as the yardstick; wrk flat out from the load core, which the 2-worker variants share.

${coresTable(results.cores)}

`
    : ''
}${
  results.mtls
    ? `## mTLS between node proxies

A pod on node A calls a pod on node B: in plaintext (mode \`off\`: node A's proxy dials the pod) and through the tunnel (mode \`strict\`: node A's proxy, mutual TLS 1.3 with HTTP/2 CONNECT streams, node B's tunnel server, the pod). Both nodes' processes on the SUT core, so CPU and memory are the whole path's. Max req/s as in HTTP; latency paced at 1000 req/s; handshakes and streams over the whole variant; memory: ${num(s.heldConnections)} TCP connections held open through the path.

${mtlsTable(results.mtls)}

`
    : ''
}${
  results.memory
    ? `## Memory at rest

\`nodemesh-proxy run\` against the in-memory API server holding a small mesh, ready and idle for ${s.idleSeconds} s; per process: the primary first, then each worker.

${memoryTable(results.memory)}

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
    ['Scale across cores', results.cores && coresTable(results.cores)],
    ['mTLS between node proxies', results.mtls && mtlsTable(results.mtls)],
    ['Memory at rest', results.memory && memoryTable(results.memory)],
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
