#!/usr/bin/env node
// Writes the Grafana dashboards of deploy/grafana/*.json from the descriptions below, so the five dashboards
// share one layout, one set of variables and one datasource convention. Plain Node, no dependencies.
//   node deploy/grafana/build-dashboards.mjs          write the JSON files (then formats them with Biome)
//   node deploy/grafana/build-dashboards.mjs --check  exit 1 if a JSON file differs from what it would write
// Edit this file, not the JSON (a test runs --check). Every panel queries the data source chosen in the
// `datasource` variable; uids are stable, so links and provisioning survive re-imports.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

// biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana's variable syntax, not a JavaScript template.
const DATASOURCE = { type: 'prometheus', uid: '${datasource}' };
const PROXY = 'job="nodemesh-node-proxy"';
const DNS = 'job="nodemesh-dns-controller"';
/** The namespace and service variables select the destination Service of mesh traffic. */
const DEST = 'destination_namespace=~"$namespace", destination_service=~"$service"';

const datasourceVariable = {
  name: 'datasource',
  label: 'Data source',
  type: 'datasource',
  query: 'prometheus',
  current: {},
  hide: 0,
  refresh: 1,
  options: [],
  includeAll: false,
  multi: false,
};

const queryVariable = (name, label, query, { multi = true } = {}) => ({
  name,
  label,
  type: 'query',
  datasource: DATASOURCE,
  definition: query,
  query: { query, refId: `${name}-variable` },
  refresh: 2,
  sort: 1,
  current: {},
  options: [],
  hide: 0,
  includeAll: multi,
  multi,
  ...(multi ? { allValue: '.*' } : {}),
});

const namespaceVariable = (metric, multi) =>
  queryVariable('namespace', 'Namespace', `label_values(${metric}, destination_namespace)`, { multi });
const serviceVariable = (metric, multi) =>
  queryVariable(
    'service',
    'Service',
    `label_values(${metric}{destination_namespace=~"$namespace"}, destination_service)`,
    { multi },
  );

/** A panel of `width` columns (of 24) and `height` rows; positions are filled in by `layout`. */
const panel = (
  type,
  title,
  targets,
  { unit = 'short', width = 12, height = 8, description, min, max, options } = {},
) => ({
  type,
  title,
  ...(description ? { description } : {}),
  datasource: DATASOURCE,
  gridPos: { h: height, w: width, x: 0, y: 0 },
  targets: targets.map(([expr, legendFormat], index) => ({
    refId: String.fromCharCode(65 + index),
    datasource: DATASOURCE,
    expr,
    legendFormat: legendFormat ?? '',
  })),
  fieldConfig: {
    defaults: { unit, ...(min === undefined ? {} : { min }), ...(max === undefined ? {} : { max }) },
    overrides: [],
  },
  options:
    type === 'timeseries'
      ? {
          legend: { displayMode: 'table', placement: 'bottom', calcs: ['mean', 'max', 'lastNotNull'] },
          tooltip: { mode: 'multi', sort: 'desc' },
        }
      : {
          reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false },
          colorMode: 'value',
          graphMode: 'area',
          ...options,
        },
});
const timeseries = (title, targets, options) => panel('timeseries', title, targets, options);
const stat = (title, targets, options) => panel('stat', title, targets, { width: 6, height: 4, ...options });
const row = (title) => ({
  type: 'row',
  title,
  collapsed: false,
  gridPos: { h: 1, w: 24, x: 0, y: 0 },
  panels: [],
});

/** Places panels left to right, wrapping at 24 columns, and numbers them. */
const layout = (panels) => {
  let x = 0;
  let y = 0;
  let rowHeight = 0;
  return panels.map((p, index) => {
    const { w, h } = p.gridPos;
    if (x + w > 24 || p.type === 'row') {
      x = 0;
      y += rowHeight;
      rowHeight = 0;
    }
    const placed = { id: index + 1, ...p, gridPos: { h, w, x, y } };
    x += w;
    rowHeight = Math.max(rowHeight, h);
    if (p.type === 'row') {
      x = 24;
    }
    return placed;
  });
};

const dashboard = (uid, title, description, variables, panels) => ({
  uid,
  title,
  description,
  tags: ['nodemesh'],
  editable: true,
  graphTooltip: 1,
  refresh: '30s',
  schemaVersion: 39,
  version: 1,
  time: { from: 'now-1h', to: 'now' },
  timepicker: {},
  timezone: 'browser',
  links: [
    {
      title: 'Nodemesh',
      type: 'dashboards',
      tags: ['nodemesh'],
      asDropdown: true,
      includeVars: true,
      keepTime: true,
    },
  ],
  annotations: { list: [] },
  templating: { list: [datasourceVariable, ...variables] },
  panels: layout(panels),
});

const rate = (selector) => `rate(${selector}[$__rate_interval])`;
const http = (extra = '') => `nodemesh_http_requests_total{${DEST}${extra}}`;
/** Calls through the mesh by transport (mtls, plaintext, local): per HTTP request and per TCP connection. */
const calls = (extra = '') => `nodemesh_mesh_calls_total{${DEST}${extra}}`;
const SUCCESS = ', status_class!~"5xx|unknown"';
const quantile = (q, by, selector) =>
  `histogram_quantile(${q}, sum by (${[...by, 'le'].join(', ')}) (${rate(`nodemesh_http_request_duration_seconds_bucket{${selector}}`)}))`;
const SERVICE_LEGEND = '{{destination_namespace}}/{{destination_service}}';

const overview = dashboard(
  'nodemesh-overview',
  'Nodemesh / Mesh overview',
  'Requests, success rate and latency of every Service called through the mesh.',
  [
    namespaceVariable('nodemesh_http_requests_total', true),
    serviceVariable('nodemesh_http_requests_total', true),
  ],
  [
    stat('Requests per second', [[`sum(${rate(http())})`]], { unit: 'reqps' }),
    stat('Success rate', [[`sum(${rate(http(SUCCESS))}) / sum(${rate(http())})`]], {
      unit: 'percentunit',
      min: 0,
      max: 1,
    }),
    stat('p99 latency', [[quantile(0.99, [], DEST)]], { unit: 's' }),
    stat('Services with traffic', [
      [`count(sum by (destination_namespace, destination_service) (${rate(http())}) > 0)`],
    ]),
    timeseries(
      'Requests per second by Service',
      [[`sum by (destination_namespace, destination_service) (${rate(http())})`, SERVICE_LEGEND]],
      { unit: 'reqps' },
    ),
    timeseries(
      'Success rate by Service',
      [
        [
          `sum by (destination_namespace, destination_service) (${rate(http(SUCCESS))}) / sum by (destination_namespace, destination_service) (${rate(http())})`,
          SERVICE_LEGEND,
        ],
      ],
      {
        unit: 'percentunit',
        min: 0,
        max: 1,
        description: 'Share of requests answered without a 5xx (or no response at all).',
      },
    ),
    timeseries(
      'p50 latency by Service',
      [[quantile(0.5, ['destination_namespace', 'destination_service'], DEST), SERVICE_LEGEND]],
      { unit: 's', width: 8 },
    ),
    timeseries(
      'p95 latency by Service',
      [[quantile(0.95, ['destination_namespace', 'destination_service'], DEST), SERVICE_LEGEND]],
      { unit: 's', width: 8 },
    ),
    timeseries(
      'p99 latency by Service',
      [[quantile(0.99, ['destination_namespace', 'destination_service'], DEST), SERVICE_LEGEND]],
      { unit: 's', width: 8 },
    ),
    timeseries(
      'mTLS vs plaintext share per namespace',
      [
        [
          `sum by (destination_namespace, transport) (${rate(calls())}) / ignoring (transport) group_left sum by (destination_namespace) (${rate(calls())})`,
          '{{destination_namespace}} {{transport}}',
        ],
      ],
      {
        unit: 'percentunit',
        min: 0,
        max: 1,
        description:
          'Share of the calls to each namespace’s Services by how they travelled: mtls (the tunnel between node proxies), plaintext (straight to a pod on another node), local (a pod on the caller’s node, never on the wire). HTTP requests and TCP connections. Before a namespace goes strict, plaintext should be at 0 (docs/mtls.md).',
      },
    ),
    timeseries(
      'Plaintext calls per second by Service',
      [
        [
          // `or 0 * …`: a Service called only over mTLS shows 0, not nothing.
          `sum by (destination_namespace, destination_service) (${rate(calls(', transport="plaintext"'))}) or 0 * sum by (destination_namespace, destination_service) (${rate(calls())})`,
          SERVICE_LEGEND,
        ],
      ],
      {
        unit: 'reqps',
        description:
          'Calls that crossed the network without mTLS, by destination Service: what a strict mode would refuse.',
      },
    ),
  ],
);

const SOURCE_LEGEND = '{{source_namespace}}/{{source_workload}}';
const serviceDetail = dashboard(
  'nodemesh-service',
  'Nodemesh / Service detail',
  'One Service: who calls it, how it answers, how long it takes.',
  [
    namespaceVariable('nodemesh_http_requests_total', false),
    serviceVariable('nodemesh_http_requests_total', false),
  ],
  [
    stat('Requests per second', [[`sum(${rate(http())})`]], { unit: 'reqps' }),
    stat('Success rate', [[`sum(${rate(http(SUCCESS))}) / sum(${rate(http())})`]], {
      unit: 'percentunit',
      min: 0,
      max: 1,
    }),
    stat('p50 latency', [[quantile(0.5, [], DEST)]], { unit: 's' }),
    stat('p99 latency', [[quantile(0.99, [], DEST)]], { unit: 's' }),
    timeseries(
      'Requests per second by status class',
      [[`sum by (status_class) (${rate(http())})`, '{{status_class}}']],
      { unit: 'reqps' },
    ),
    timeseries('Requests per second by method', [[`sum by (method) (${rate(http())})`, '{{method}}']], {
      unit: 'reqps',
    }),
    timeseries(
      'Requests per second by source',
      [[`sum by (source_namespace, source_workload) (${rate(http())})`, SOURCE_LEGEND]],
      { unit: 'reqps' },
    ),
    timeseries(
      'Error rate by source',
      [
        [
          `sum by (source_namespace, source_workload) (${rate(http(', status_class=~"5xx|unknown"'))}) / sum by (source_namespace, source_workload) (${rate(http())})`,
          SOURCE_LEGEND,
        ],
      ],
      { unit: 'percentunit', min: 0 },
    ),
    timeseries(
      'Latency percentiles',
      [
        [quantile(0.5, [], DEST), 'p50'],
        [quantile(0.95, [], DEST), 'p95'],
        [quantile(0.99, [], DEST), 'p99'],
      ],
      { unit: 's' },
    ),
    timeseries(
      'p99 latency by source',
      [[quantile(0.99, ['source_namespace', 'source_workload'], DEST), SOURCE_LEGEND]],
      { unit: 's' },
    ),
  ],
);

const tcp = (metric, extra = '') => `${metric}{${DEST}${extra}}`;
const tcpUdp = dashboard(
  'nodemesh-tcp-udp',
  'Nodemesh / TCP and UDP',
  'Connections, bytes and packets of Services with traffic-type tcp or udp.',
  [
    namespaceVariable('nodemesh_tcp_connections_total', true),
    serviceVariable('nodemesh_tcp_connections_total', true),
  ],
  [
    row('TCP'),
    timeseries(
      'New connections per second by Service',
      [
        [
          `sum by (destination_namespace, destination_service) (${rate(tcp('nodemesh_tcp_connections_total'))})`,
          SERVICE_LEGEND,
        ],
      ],
      { unit: 'cps' },
    ),
    timeseries('Open connections by Service', [
      [
        `sum by (destination_namespace, destination_service) (${tcp('nodemesh_tcp_open_connections')})`,
        SERVICE_LEGEND,
      ],
    ]),
    timeseries(
      'Bytes per second by Service and direction',
      [
        [
          `sum by (destination_namespace, destination_service, direction) (${rate(tcp('nodemesh_tcp_bytes_total'))})`,
          `${SERVICE_LEGEND} {{direction}}`,
        ],
      ],
      { unit: 'Bps', width: 24 },
    ),
    row('UDP'),
    timeseries(
      'Packets per second by Service and direction',
      [
        [
          `sum by (destination_namespace, destination_service, direction) (${rate(tcp('nodemesh_udp_packets_total'))})`,
          `${SERVICE_LEGEND} {{direction}}`,
        ],
      ],
      { unit: 'pps', width: 24 },
    ),
  ],
);

const NODE_LEGEND = '{{node}}';
const nodeProxy = dashboard(
  'nodemesh-node-proxy',
  'Nodemesh / Node proxy resources',
  'CPU, memory, connections and routing snapshots of the node-proxy on each node.',
  [
    queryVariable('node', 'Node', `label_values(up{${PROXY}}, node)`),
    namespaceVariable('nodemesh_tcp_open_connections', true),
    serviceVariable('nodemesh_tcp_open_connections', true),
  ],
  [
    timeseries(
      'CPU by node',
      [[`sum by (node) (${rate(`process_cpu_seconds_total{${PROXY}, node=~"$node"}`)})`, NODE_LEGEND]],
      { unit: 'percentunit' },
    ),
    timeseries(
      'Resident memory by node',
      [[`sum by (node) (process_resident_memory_bytes{${PROXY}, node=~"$node"})`, NODE_LEGEND]],
      { unit: 'bytes' },
    ),
    timeseries(
      'Heap used by node',
      [[`sum by (node) (nodejs_heap_size_used_bytes{${PROXY}, node=~"$node"})`, NODE_LEGEND]],
      { unit: 'bytes' },
    ),
    timeseries(
      'Event loop lag p99 by node',
      [[`max by (node) (nodejs_eventloop_lag_p99_seconds{${PROXY}, node=~"$node"})`, NODE_LEGEND]],
      { unit: 's' },
    ),
    timeseries('Open TCP connections by node', [
      [`sum by (node) (nodemesh_tcp_open_connections{${PROXY}, node=~"$node", ${DEST}})`, NODE_LEGEND],
    ]),
    timeseries('Open file descriptors by node', [
      [`sum by (node) (process_open_fds{${PROXY}, node=~"$node"})`, NODE_LEGEND],
    ]),
    timeseries(
      'Routing snapshot version by node',
      [[`max by (node) (nodemesh_snapshot_version{${PROXY}, node=~"$node"})`, NODE_LEGEND]],
      { description: 'Every node should reach the same version shortly after a change in the cluster.' },
    ),
    timeseries(
      'Snapshot build time p99 by node',
      [
        [
          `histogram_quantile(0.99, sum by (node, le) (${rate(`nodemesh_snapshot_build_duration_seconds_bucket{${PROXY}, node=~"$node"}`)}))`,
          NODE_LEGEND,
        ],
      ],
      { unit: 's' },
    ),
    row('Workload identity'),
    stat(
      'Certificates held',
      [[`count(nodemesh_node_proxy_certificate_expiration_timestamp_seconds{${PROXY}, node=~"$node"})`]],
      { description: 'One per ServiceAccount with a pod on the selected nodes (docs/identity.md).' },
    ),
    stat(
      'Soonest certificate expiry',
      [
        [
          `min(nodemesh_node_proxy_certificate_expiration_timestamp_seconds{${PROXY}, node=~"$node"}) - time()`,
        ],
      ],
      {
        unit: 's',
        description: 'Renewed at half their life; far below half the lifetime means renewal fails.',
      },
    ),
    stat(
      'Certificates overdue for renewal',
      [[`sum(nodemesh_node_proxy_certificates_overdue{${PROXY}, node=~"$node"})`]],
      { description: 'Past half their life and not renewed: the issuer is out of reach or refuses.' },
    ),
    stat(
      'Issuer certificate expiry',
      [[`min(nodemesh_identity_issuer_expiration_timestamp_seconds{${DNS}}) - time()`]],
      {
        unit: 's',
        description: 'The issuer in use by the dns-controller replicas; rotate it before it expires.',
      },
    ),
    timeseries(
      'Certificates issued and renewed by node',
      [
        [
          `sum by (node) (${rate(`nodemesh_node_proxy_certificates_issued_total{${PROXY}, node=~"$node"}`)})`,
          'issued {{node}}',
        ],
        [
          `sum by (node) (${rate(`nodemesh_node_proxy_certificates_renewed_total{${PROXY}, node=~"$node"}`)})`,
          'renewed {{node}}',
        ],
      ],
      { unit: 'ops' },
    ),
    timeseries(
      'Failed certificate requests by reason',
      [
        [
          `sum by (reason) (${rate(`nodemesh_node_proxy_certificate_requests_failed_total{${PROXY}, node=~"$node"}`)})`,
          '{{reason}}',
        ],
        [
          `sum by (code) (${rate(`nodemesh_identity_certificate_requests_refused_total{${DNS}}`)})`,
          'refused by issuer: {{code}}',
        ],
      ],
      { unit: 'ops' },
    ),
    timeseries(
      'Trust roots: time to expiry',
      [[`min by (root) (nodemesh_identity_root_expiration_timestamp_seconds{${DNS}}) - time()`, '{{root}}']],
      { unit: 's', description: 'Two roots appear while a root rotation is under way.' },
    ),
  ],
);

const POD_LEGEND = '{{pod}}';
/** A gauge as the replica holding the Lease reports it. */
const leaderOnly = (metric) =>
  `${metric}{${DNS}} and on (pod) (nodemesh_dns_controller_is_leader{${DNS}} == 1)`;
const dnsController = dashboard(
  'nodemesh-dns-controller',
  'Nodemesh / DNS controller',
  'The mesh DNS zone, leader election, shadow Services and port allocation.',
  [queryVariable('pod', 'Pod', `label_values(up{${DNS}}, pod)`)],
  [
    stat('Leader', [[`max by (pod) (nodemesh_dns_controller_is_leader{${DNS}}) == 1`, POD_LEGEND]], {
      description: 'The replica holding the Lease; empty means no leader.',
      width: 8,
      options: { textMode: 'name', graphMode: 'none' },
    }),
    stat('Shadow Services', [[`max(${leaderOnly('nodemesh_dns_controller_shadow_services')})`]], {
      width: 8,
      description: 'As counted by the leader.',
    }),
    stat(
      'Cluster DNS block present',
      [[`max(${leaderOnly('nodemesh_dns_controller_cluster_dns_block_present')})`]],
      {
        width: 8,
        min: 0,
        max: 1,
        description: '1 when the leader finds its forward block in the cluster DNS.',
      },
    ),
    timeseries(
      'Queries per second by type',
      [[`sum by (type) (${rate(`nodemesh_dns_queries_total{${DNS}, pod=~"$pod"}`)})`, '{{type}}']],
      { unit: 'reqps' },
    ),
    timeseries(
      'Queries per second by rcode',
      [[`sum by (rcode) (${rate(`nodemesh_dns_queries_total{${DNS}, pod=~"$pod"}`)})`, '{{rcode}}']],
      { unit: 'reqps' },
    ),
    timeseries(
      'Answer latency',
      [
        [
          `histogram_quantile(0.5, sum by (transport, le) (${rate(`nodemesh_dns_answer_duration_seconds_bucket{${DNS}, pod=~"$pod"}`)}))`,
          'p50 {{transport}}',
        ],
        [
          `histogram_quantile(0.99, sum by (transport, le) (${rate(`nodemesh_dns_answer_duration_seconds_bucket{${DNS}, pod=~"$pod"}`)}))`,
          'p99 {{transport}}',
        ],
      ],
      { unit: 's' },
    ),
    timeseries(
      'Malformed queries per second',
      [
        [
          `sum by (pod, transport) (${rate(`nodemesh_dns_malformed_queries_total{${DNS}, pod=~"$pod"}`)})`,
          '{{pod}} {{transport}}',
        ],
      ],
      { unit: 'reqps' },
    ),
    timeseries(
      'Port-range usage',
      [
        [
          `max by (protocol) (nodemesh_dns_controller_allocated_ports{${DNS}}) / max by (protocol) (nodemesh_dns_controller_port_range_size{${DNS}})`,
          '{{protocol}}',
        ],
      ],
      {
        unit: 'percentunit',
        min: 0,
        max: 1,
        description: 'Share of the TCP and UDP port ranges allocated to shadow Service ports.',
      },
    ),
    timeseries(
      'Reconciles per second',
      [
        [
          `sum by (pod) (${rate(`nodemesh_dns_controller_reconciles_total{${DNS}, pod=~"$pod"}`)})`,
          '{{pod}}',
        ],
        [
          `sum by (pod) (${rate(`nodemesh_dns_controller_reconcile_errors_total{${DNS}, pod=~"$pod"}`)})`,
          '{{pod}} errors',
        ],
      ],
      { unit: 'ops' },
    ),
    timeseries(
      'CPU by pod',
      [[`sum by (pod) (${rate(`process_cpu_seconds_total{${DNS}, pod=~"$pod"}`)})`, POD_LEGEND]],
      { unit: 'percentunit' },
    ),
    timeseries(
      'Resident memory by pod',
      [[`sum by (pod) (process_resident_memory_bytes{${DNS}, pod=~"$pod"})`, POD_LEGEND]],
      { unit: 'bytes' },
    ),
  ],
);

/** File name → dashboard. */
export const DASHBOARDS = {
  'mesh-overview.json': overview,
  'service-detail.json': serviceDetail,
  'tcp-udp.json': tcpUdp,
  'node-proxy.json': nodeProxy,
  'dns-controller.json': dnsController,
};

const render = (value) => `${JSON.stringify(value, null, 2)}\n`;

const main = () => {
  const dir = dirname(fileURLToPath(import.meta.url));
  const check = process.argv.includes('--check');
  const stale = [];
  for (const [file, value] of Object.entries(DASHBOARDS)) {
    const path = join(dir, file);
    if (!check) {
      writeFileSync(path, render(value));
      continue;
    }
    let current;
    try {
      current = JSON.parse(readFileSync(path, 'utf8'));
    } catch {
      current = undefined;
    }
    if (JSON.stringify(current) !== JSON.stringify(value)) stale.push(file);
  }
  if (!check) {
    const biome = join(dir, '..', '..', 'node_modules', '.bin', 'biome');
    execFileSync(biome, ['format', '--write', ...Object.keys(DASHBOARDS).map((file) => join(dir, file))], {
      stdio: 'inherit',
    });
  }
  if (stale.length > 0) {
    process.stderr.write(
      `stale dashboards (run node deploy/grafana/build-dashboards.mjs): ${stale.join(', ')}\n`,
    );
    process.exitCode = 1;
  }
};

if (process.argv[1] === fileURLToPath(import.meta.url)) main();
