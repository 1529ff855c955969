/** `nodemesh version`: this client's version, the API server's, and every mesh pod's (nodemesh_build_info). */
import { readFileSync } from 'node:fs';
import type { CommandContext } from '../context.js';
import { viaPodProxy } from '../kube/pod-http.js';
import {
  DNS_CONTROLLER_SELECTOR,
  type MeshPod,
  NODE_PROXY_SELECTOR,
  readMeshPods,
} from '../mesh/mesh-pods.js';
import { EXIT_FAILED, EXIT_OK, type ExitCode } from '../output/exit-codes.js';
import { type OutputFormat, renderData, renderTable } from '../output/format.js';
import { parseExposition } from '../stat/exposition.js';

export function clientVersion(): string {
  try {
    const parsed: unknown = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
    const version = (parsed as { version?: unknown }).version;
    return typeof version === 'string' ? version : 'unknown';
  } catch {
    return 'unknown';
  }
}

export interface ComponentVersion {
  readonly component: 'dns-controller' | 'node-proxy';
  readonly pod: string;
  readonly node: string;
  /** From nodemesh_build_info; undefined when the pod could not be asked. */
  readonly version: string | undefined;
  readonly image: string;
  readonly error?: string;
}

/** The `version` label of nodemesh_build_info in a metrics text. Pure. */
export function buildVersion(metrics: string): string | undefined {
  return parseExposition(metrics).samples.find((s) => s.name === 'nodemesh_build_info' && s.value === 1)
    ?.labels.version;
}

async function componentVersion(
  ctx: CommandContext,
  component: ComponentVersion['component'],
  pod: MeshPod,
): Promise<ComponentVersion> {
  const base = { component, pod: pod.name, node: pod.nodeName ?? '', image: pod.image ?? '' };
  try {
    const answer = await viaPodProxy(ctx.cluster(), pod, pod.adminPort, '/metrics');
    if (answer.status !== 200)
      return { ...base, version: undefined, error: `/metrics answered ${answer.status}` };
    return { ...base, version: buildVersion(answer.text) };
  } catch (error) {
    return { ...base, version: undefined, error: error instanceof Error ? error.message : String(error) };
  }
}

export async function runVersion(
  ctx: CommandContext,
  options: { client: boolean; output: OutputFormat },
): Promise<ExitCode> {
  const client = clientVersion();
  if (options.client) {
    ctx.terminal.out(
      options.output === 'json' || options.output === 'yaml'
        ? renderData({ client }, options.output)
        : `client: ${client}\n`,
    );
    return EXIT_OK;
  }
  const cluster = ctx.cluster();
  const version = await cluster.get('/version');
  const server =
    typeof version === 'object' && version !== null
      ? String((version as { gitVersion?: unknown }).gitVersion ?? 'unknown')
      : 'unknown';
  const ns = encodeURIComponent(ctx.options.meshNamespace);
  const components: ComponentVersion[] = [];
  for (const [component, selector] of [
    ['dns-controller', DNS_CONTROLLER_SELECTOR],
    ['node-proxy', NODE_PROXY_SELECTOR],
  ] as const) {
    const pods = readMeshPods(
      await cluster.list(`/api/v1/namespaces/${ns}/pods`, { label: selector }),
    ).filter((p) => p.phase === 'Running');
    components.push(...(await Promise.all(pods.map((pod) => componentVersion(ctx, component, pod)))));
  }
  if (options.output === 'json' || options.output === 'yaml') {
    ctx.terminal.out(renderData({ client, server, components }, options.output));
  } else {
    ctx.terminal.out(`client: ${client}\nserver: ${server}\n`);
    ctx.terminal.out(
      components.length === 0
        ? `no mesh pod runs in namespace ${ctx.options.meshNamespace}\n`
        : renderTable(
            ['component', 'pod', 'node', 'version', 'image'],
            components.map((c) => [
              c.component,
              c.pod,
              c.node || '-',
              c.version ?? `unknown (${c.error ?? 'no nodemesh_build_info'})`,
              c.image || '-',
            ]),
          ),
    );
  }
  return components.some((c) => c.version === undefined) ? EXIT_FAILED : EXIT_OK;
}
