/**
 * `nodemesh uninstall`: what docs/install.md's Uninstall does by hand, in order. The dns-controller would put
 * the cluster DNS block back while it runs, so its Deployment goes first and its pods are waited for; then the
 * block is removed from the cluster DNS, every shadow Service and every strict-mode NetworkPolicy deleted (the
 * dns-controller's own `cleanupClusterDns`, `removeAllShadows` and `removeAllStrictPolicies`, whose ConfigMap
 * editing is byte for byte); then the rest of the
 * install, namespace last. The SMI CRDs stay unless `--crds` (deleting them deletes every SMI resource).
 */
import {
  cleanupClusterDns,
  kubeApi,
  removeAllShadows,
  removeAllStrictPolicies,
} from '@nodemesh/dns-controller';
import { formatFieldErrors } from '@nodemesh/smi-types';
import { readControllerSettings } from '../check/gather.js';
import type { CommandContext } from '../context.js';
import type { Cluster } from '../kube/cluster.js';
import { DNS_CONTROLLER_SELECTOR, readMeshPods } from '../mesh/mesh-pods.js';
import { EXIT_FAILED, EXIT_OK, type ExitCode } from '../output/exit-codes.js';
import { colorsOf } from '../output/terminal.js';
import { objectPath } from './object-paths.js';
import { installObjects } from './render-install.js';

export interface UninstallOptions {
  readonly crds: boolean;
  readonly dryRun: boolean;
  readonly timeoutMs: number;
  readonly deployDir?: string | undefined;
}

const CONTROLLER = { kind: 'Deployment', name: 'nodemesh-dns-controller' };

export async function runUninstall(ctx: CommandContext, options: UninstallOptions): Promise<ExitCode> {
  const cluster = ctx.cluster();
  const c = colorsOf(ctx.terminal);
  let failed = false;
  const done = (text: string) => ctx.terminal.out(`${c.green('✔')} ${text}\n`);
  const fail = (text: string) => {
    failed = true;
    ctx.terminal.out(`${c.red('✘')} ${text}\n`);
  };
  const plan = (text: string) => ctx.terminal.out(`- would ${text}\n`);
  const meshNs = ctx.options.meshNamespace;
  const podsPath = `/api/v1/namespaces/${encodeURIComponent(meshNs)}/pods`;
  const controllerPods = readMeshPods(await cluster.list(podsPath, { label: DNS_CONTROLLER_SELECTOR }));
  const { config } = await readControllerSettings(cluster, meshNs, controllerPods);
  const objects = installObjects({
    overlays: [],
    ...(options.deployDir ? { deployDir: options.deployDir } : {}),
  }).filter((o) => options.crds || o.kind !== 'CustomResourceDefinition');
  const controller = objects.find((o) => o.kind === CONTROLLER.kind && o.metadata.name === CONTROLLER.name);
  if (options.dryRun) {
    if (controller) plan(`delete Deployment ${meshNs}/${CONTROLLER.name} and wait for its pods to go`);
    plan(
      `remove the "${config.meshDomain}" block from the cluster DNS (kube-system ConfigMaps coredns, coredns-custom, kube-dns)`,
    );
    plan(`delete every shadow Service in namespace ${meshNs}`);
    plan('delete every strict-mode NetworkPolicy of the dns-controller, in every namespace');
    for (const o of [...objects].reverse())
      if (o !== controller)
        plan(`delete ${o.kind} ${o.metadata.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata.name}`);
    if (!options.crds) ctx.terminal.out('(the SMI CRDs and every SMI resource stay; --crds deletes them)\n');
    return EXIT_OK;
  }
  if (controller !== undefined) {
    const answer = await cluster.raw('DELETE', objectPath(controller), { propagationPolicy: 'Foreground' });
    if (answer.status >= 300 && answer.status !== 404)
      fail(`delete Deployment ${meshNs}/${CONTROLLER.name}: HTTP ${answer.status}`);
    else done(`deleted Deployment ${meshNs}/${CONTROLLER.name}`);
    if (await waitGone(ctx, cluster, podsPath, options.timeoutMs))
      done('no dns-controller pod runs any more');
    else
      fail(
        `dns-controller pods still run after ${options.timeoutMs / 1000} s: the cluster DNS block may come back; run nodemesh uninstall again`,
      );
  }
  const api = kubeApi(cluster.kubeConfig);
  try {
    const outcome = await cleanupClusterDns(api, config.meshDomain);
    if (outcome.present)
      fail(
        `the cluster DNS still names "${config.meshDomain}": ${formatFieldErrors(outcome.problems) || `${outcome.conflicts} conflicting edit(s); run again`}`,
      );
    else done(`the cluster DNS no longer forwards "${config.meshDomain}"`);
  } catch (error) {
    fail(`cleaning the cluster DNS: ${error instanceof Error ? error.message : String(error)}`);
  }
  try {
    const removed = await removeAllShadows(api, meshNs);
    done(`deleted ${removed.length} shadow Service${removed.length === 1 ? '' : 's'}`);
  } catch (error) {
    fail(`deleting shadow Services: ${error instanceof Error ? error.message : String(error)}`);
  }
  try {
    // Left behind, they would admit their pods' traffic only from node-proxies that are gone.
    const removed = await removeAllStrictPolicies(api);
    done(`deleted ${removed.length} strict-mode NetworkPolic${removed.length === 1 ? 'y' : 'ies'}`);
  } catch (error) {
    fail(`deleting strict-mode NetworkPolicies: ${error instanceof Error ? error.message : String(error)}`);
  }
  for (const object of [...objects].reverse()) {
    if (object === controller) continue;
    const where = `${object.kind} ${object.metadata.namespace ? `${object.metadata.namespace}/` : ''}${object.metadata.name}`;
    const answer = await cluster.raw('DELETE', objectPath(object));
    if (answer.status === 404) continue;
    if (answer.status >= 300) fail(`delete ${where}: HTTP ${answer.status}`);
    else done(`deleted ${where}`);
  }
  return failed ? EXIT_FAILED : EXIT_OK;
}

async function waitGone(
  ctx: CommandContext,
  cluster: Cluster,
  podsPath: string,
  timeoutMs: number,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if ((await cluster.list(podsPath, { label: DNS_CONTROLLER_SELECTOR })).length === 0) return true;
    if (Date.now() >= deadline) return false;
    await ctx.sleep(1000);
  }
}
