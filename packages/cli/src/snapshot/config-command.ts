/**
 * `nodemesh config NODE [--service S]`: the node-proxy on NODE is found through the API server, and its
 * /debug/snapshot read through a port-forward (the debug listener is bound to the pod's own loopback).
 */
import { type CommandContext, namespaceOf } from '../context.js';
import { viaPortForward } from '../kube/pod-http.js';
import { DEFAULT_DEBUG_PORT, NODE_PROXY_SELECTOR, readMeshPods } from '../mesh/mesh-pods.js';
import { CliError, EXIT_FAILED, EXIT_OK, type ExitCode } from '../output/exit-codes.js';
import { type OutputFormat, renderData, renderTable } from '../output/format.js';
import { forService, readSnapshot, type SnapshotView } from './snapshot-view.js';

export interface ConfigOptions {
  readonly node: string;
  readonly service: string | undefined;
  /** The debug listener's port; else the container port named `debug`, else 9091. */
  readonly debugPort: number | undefined;
  readonly output: OutputFormat;
}

export async function runConfig(ctx: CommandContext, options: ConfigOptions): Promise<ExitCode> {
  const cluster = ctx.cluster();
  const meshNs = ctx.options.meshNamespace;
  const pods = readMeshPods(
    await cluster.list(`/api/v1/namespaces/${encodeURIComponent(meshNs)}/pods`, {
      label: NODE_PROXY_SELECTOR,
      field: `spec.nodeName=${options.node}`,
    }),
  ).filter((p) => p.nodeName === options.node && p.phase === 'Running');
  const pod = pods.find((p) => p.ready) ?? pods[0];
  if (pod === undefined) {
    ctx.terminal.err(
      `nodemesh: no running node-proxy on node ${options.node} (namespace ${meshNs}); see nodemesh check\n`,
    );
    return EXIT_FAILED;
  }
  const port = options.debugPort ?? pod.debugPort ?? DEFAULT_DEBUG_PORT;
  let answer: { status: number; text: string };
  try {
    answer = await viaPortForward(cluster, pod, port, '/debug/snapshot');
  } catch (error) {
    throw new CliError(
      `${error instanceof Error ? error.message : String(error)} (is --debug-port right?)`,
      EXIT_FAILED,
    );
  }
  if (answer.status !== 200) {
    throw new CliError(
      `${pod.name}: /debug/snapshot answered ${answer.status}: ${answer.text.slice(0, 200)}`,
      EXIT_FAILED,
    );
  }
  let raw: unknown;
  try {
    raw = JSON.parse(answer.text);
  } catch {
    throw new CliError(`${pod.name}: /debug/snapshot is not JSON`, EXIT_FAILED);
  }
  const service =
    options.service === undefined
      ? undefined
      : options.service.includes('/')
        ? options.service
        : `${namespaceOf(ctx)}/${options.service}`;
  let view = readSnapshot(raw);
  if (service !== undefined) view = forService(view, service);
  if (options.output === 'json' || options.output === 'yaml') {
    ctx.terminal.out(
      renderData(
        service === undefined ? raw : { pod: pod.name, node: options.node, ...view },
        options.output,
      ),
    );
  } else {
    ctx.terminal.out(renderSnapshot(view, `${meshNs}/${pod.name}`, options.node));
  }
  if (service !== undefined && view.routes.length === 0) {
    ctx.terminal.err(`nodemesh: node-proxy on ${options.node} has no route for Service ${service}\n`);
    return EXIT_FAILED;
  }
  return EXIT_OK;
}

/** HTTP routes are one per Host the proxy accepts (mesh name, with port, ClusterIP, ...): one row per route. */
function groupHosts(
  routes: SnapshotView['routes'],
): { route: SnapshotView['routes'][number]; hosts: string }[] {
  const groups = new Map<string, { route: SnapshotView['routes'][number]; hosts: string[] }>();
  for (const route of routes) {
    const key = JSON.stringify([
      route.protocol,
      route.listener,
      route.service,
      route.port,
      route.split,
      route.backends,
    ]);
    const group = groups.get(key) ?? { route, hosts: [] };
    if (route.host !== '') group.hosts.push(route.host);
    groups.set(key, group);
  }
  return [...groups.values()].map(({ route, hosts }) => ({
    route,
    hosts:
      hosts.length === 0
        ? '-'
        : hosts.length === 1
          ? (hosts[0] as string)
          : `${hosts[0]} (+${hosts.length - 1})`,
  }));
}

export function renderSnapshot(view: SnapshotView, pod: string, node: string): string {
  const parts = [
    `node-proxy ${pod} on node ${node}: snapshot version ${view.version}, built ${view.builtAt}\n`,
  ];
  parts.push(
    '\nROUTES\n',
    view.routes.length === 0
      ? '(none)\n'
      : renderTable(
          ['proto', 'listener', 'host', 'service', 'port', 'split', 'backend', 'weight', 'endpoints'],
          groupHosts(view.routes).flatMap(({ route: r, hosts }) =>
            r.backends.map((b, i) => [
              i === 0 ? r.protocol : '',
              i === 0 ? r.listener : '',
              i === 0 ? hosts : '',
              i === 0 ? r.service : '',
              i === 0 ? r.port : '',
              i === 0 ? r.split || '-' : '',
              b.service,
              b.weight,
              b.endpoints.length === 0 ? '(none ready)' : b.endpoints.join(','),
            ]),
          ),
        ),
  );
  parts.push(
    '\nACCESS GRANTS (enforced when the proxy runs with --access-control)\n',
    view.grants.length === 0
      ? '(none)\n'
      : renderTable(
          ['destination', 'source', 'traffic_target', 'ports', 'http_matches'],
          view.grants.map((g) => [
            g.destination,
            g.source,
            g.trafficTarget,
            g.ports || '-',
            g.httpMatches || '-',
          ]),
        ),
  );
  parts.push(
    '\nPROBLEMS\n',
    view.problems.length === 0
      ? '(none)\n'
      : renderTable(
          ['object', 'reason', 'message'],
          view.problems.map((p) => [p.object, p.reason, p.message]),
        ),
  );
  return parts.join('');
}
