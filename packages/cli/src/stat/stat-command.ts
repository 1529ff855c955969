/** `nodemesh stat (svc|ns|caller) [NAME]`. */
import { parseDuration } from '@nodemesh/smi-types';
import { type CommandContext, namespaceOf } from '../context.js';
import { CliError, EXIT_FAILED, EXIT_OK, EXIT_USAGE, type ExitCode } from '../output/exit-codes.js';
import { type OutputFormat, renderData, renderTable } from '../output/format.js';
import { statFromPrometheus } from './prometheus.js';
import { scrapeProxies } from './scrape.js';
import { keyText, type StatKind, type StatRow, statRows } from './traffic.js';

export interface StatOptions {
  readonly kind: StatKind;
  readonly name: string | undefined;
  readonly allNamespaces: boolean;
  readonly window: string;
  readonly prometheus: string | undefined;
  readonly output: OutputFormat;
}

export function parseStatKind(value: string): StatKind {
  const aliases: Record<string, StatKind> = {
    svc: 'svc',
    service: 'svc',
    services: 'svc',
    ns: 'ns',
    namespace: 'ns',
    namespaces: 'ns',
    caller: 'caller',
    callers: 'caller',
  };
  const kind = aliases[value];
  if (kind === undefined)
    throw new CliError(`stat takes svc, ns or caller, got ${JSON.stringify(value)}`, EXIT_USAGE);
  return kind;
}

async function serviceNames(ctx: CommandContext, namespace: string | undefined): Promise<Set<string>> {
  const path =
    namespace === undefined
      ? '/api/v1/services'
      : `/api/v1/namespaces/${encodeURIComponent(namespace)}/services`;
  const names = new Set<string>();
  for (const item of await ctx.cluster().list(path)) {
    const meta =
      typeof item === 'object' && item !== null
        ? (item as { metadata?: { name?: unknown; namespace?: unknown } }).metadata
        : undefined;
    if (
      typeof meta?.name === 'string' &&
      typeof meta.namespace === 'string' &&
      meta.namespace !== ctx.options.meshNamespace
    ) {
      names.add(`${meta.namespace}/${meta.name}`);
    }
  }
  return names;
}

export async function runStat(ctx: CommandContext, options: StatOptions): Promise<ExitCode> {
  const windowMs = parseDuration(options.window);
  if (windowMs === undefined)
    throw new CliError(
      `--window must be a duration like 10s or 1m, got ${JSON.stringify(options.window)}`,
      EXIT_USAGE,
    );
  const namespace = options.kind === 'ns' || options.allNamespaces ? undefined : namespaceOf(ctx);
  let rows: StatRow[];
  const notes: string[] = [];
  if (options.prometheus !== undefined) {
    if (windowMs <= 0) throw new CliError('--window must be more than 0 with --prometheus', EXIT_USAGE);
    rows = await statFromPrometheus(options.prometheus, options.kind, `${Math.round(windowMs / 1000)}s`);
  } else {
    const first =
      windowMs > 0 ? await scrapeProxies(ctx.cluster(), ctx.options.meshNamespace, options.kind) : undefined;
    if (windowMs > 0) await ctx.sleep(windowMs);
    const second = await scrapeProxies(ctx.cluster(), ctx.options.meshNamespace, options.kind);
    notes.push(...second.failures.map((f) => `could not scrape node-proxy ${f}`));
    if (second.scrapes.length === 0 && second.failures.length === 0)
      notes.push(`no node-proxy pod in namespace ${ctx.options.meshNamespace}`);
    rows = statRows(first?.scrapes, second.scrapes);
  }
  if (options.kind === 'svc') {
    // Every Service of the namespace is listed, with or without traffic, and only those that exist.
    const services = await serviceNames(ctx, namespace);
    const seen = new Set(rows.map(keyText));
    for (const text of services) {
      if (!seen.has(text)) {
        const [ns = '', name = ''] = text.split('/');
        rows.push(emptyRow(ns, name));
      }
    }
    rows = rows.filter((r) => services.has(keyText(r)));
  }
  rows = rows
    .filter((r) => namespace === undefined || r.namespace === namespace)
    .filter(
      (r) => options.name === undefined || (options.kind === 'ns' ? r.namespace : r.name) === options.name,
    )
    .sort((a, b) => keyText(a).localeCompare(keyText(b)));
  for (const note of notes) ctx.terminal.err(`nodemesh: ${note}\n`);
  if (options.name !== undefined && rows.length === 0) {
    const what = options.kind === 'svc' ? 'Service' : options.kind === 'ns' ? 'namespace' : 'caller';
    ctx.terminal.err(
      `nodemesh: no ${what} ${options.name}${namespace === undefined ? '' : ` in namespace ${namespace}`}\n`,
    );
    return EXIT_FAILED;
  }
  ctx.terminal.out(renderStat(rows, options));
  return EXIT_OK;
}

function emptyRow(namespace: string, name: string): StatRow {
  return {
    namespace,
    name,
    requests: 0,
    successRate: undefined,
    rps: 0,
    latencyP50Ms: undefined,
    latencyP95Ms: undefined,
    latencyP99Ms: undefined,
    tcpConnections: 0,
    tcpOpen: 0,
    tcpBytes: 0,
  };
}

const percent = (v: number | undefined) => (v === undefined ? '-' : `${(v * 100).toFixed(2)}%`);
const latency = (v: number | undefined) =>
  v === undefined ? '-' : `${v < 10 ? v.toFixed(1) : Math.round(v)}ms`;
const rate = (v: number, requests: number) =>
  requests === 0 ? '-' : `${v < 10 ? v.toFixed(2) : v.toFixed(1)}rps`;
const bytes = (v: number) =>
  v < 1024 ? `${v}B` : v < 1024 * 1024 ? `${(v / 1024).toFixed(1)}KiB` : `${(v / 1024 / 1024).toFixed(1)}MiB`;

export function renderStat(
  rows: readonly StatRow[],
  options: Pick<StatOptions, 'kind' | 'output' | 'window'>,
): string {
  if (options.output === 'json' || options.output === 'yaml')
    return renderData({ window: options.window, rows }, options.output);
  const wide = options.output === 'wide';
  const first =
    options.kind === 'ns'
      ? ['namespace']
      : options.kind === 'svc'
        ? ['namespace', 'service']
        : ['namespace', 'caller'];
  const head = [
    ...first,
    'success',
    'rps',
    'latency_p50',
    'latency_p95',
    'latency_p99',
    'tcp_conn',
    ...(wide ? ['requests', 'tcp_open', 'tcp_bytes'] : []),
  ];
  if (rows.length === 0) return 'No traffic in this window.\n';
  return renderTable(
    head,
    rows.map((r) => [
      ...(options.kind === 'ns' ? [r.namespace] : [r.namespace, r.name]),
      percent(r.successRate),
      rate(r.rps, r.requests),
      latency(r.latencyP50Ms),
      latency(r.latencyP95Ms),
      latency(r.latencyP99Ms),
      String(r.tcpConnections),
      ...(wide ? [String(r.requests), String(r.tcpOpen), bytes(r.tcpBytes)] : []),
    ]),
  );
}
