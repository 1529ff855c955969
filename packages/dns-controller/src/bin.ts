#!/usr/bin/env node
/** `nodemesh-dns`: run | prepare | cleanup | --help. The flags are parsed by the pure parseCommandLine. */
import {
  createLogger,
  type KubeConnection,
  type LoadedKubeConfig,
  loadKubeConfig,
} from '@nodemesh/kube-runtime';
import { formatFieldErrors } from '@nodemesh/smi-types';
import { cleanupClusterDns, prepareClusterDns } from './cluster-dns-sync/cluster-dns-reconciler.js';
import { envName, FLAGS, parseCommandLine } from './config/command-line.js';
import type { ControllerConfig } from './config/controller-config.js';
import { startDnsController } from './controller/dns-controller.js';
import { kubeApi } from './kube/kube-api.js';
import { removeAllStrictPolicies } from './network-policies/network-policy-reconciler.js';
import { removeAllShadows } from './shadows/remove-all-shadows.js';

function help(): string {
  const flags = Object.entries(FLAGS)
    .map(([flag, { help }]) => `  --${flag.padEnd(22)} ${help}\n  ${' '.repeat(24)} (env ${envName(flag)})`)
    .join('\n');
  return `nodemesh-dns: the Nodemesh control plane

Usage:
  nodemesh-dns run        watch Services, keep shadow Services, serve the mesh DNS zone
  nodemesh-dns prepare    add the mesh forward block to the cluster DNS and exit
  nodemesh-dns cleanup    remove the cluster DNS block, every shadow Service and strict NetworkPolicy, then exit
  nodemesh-dns --help     show this help

Flags (each also as an environment variable; flags win):
${flags}

Environment: POD_NAME is the Lease identity (default <hostname>-<pid>).
`;
}

async function main(): Promise<number> {
  const parsed = parseCommandLine(process.argv.slice(2), process.env);
  if (!parsed.ok) {
    process.stderr.write(
      `nodemesh-dns: ${formatFieldErrors(parsed.errors).replaceAll('\n', '\nnodemesh-dns: ')}\n`,
    );
    process.stderr.write('try nodemesh-dns --help\n');
    return 2;
  }
  const { command, config } = parsed.value;
  if (command === 'help') {
    process.stdout.write(help());
    return 0;
  }
  const logger = createLogger({ component: 'dns-controller', level: config.logLevel });
  let kube: LoadedKubeConfig;
  try {
    kube = await loadKubeConfig({ server: config.server, kubeconfig: config.kubeconfig });
  } catch (error) {
    process.stderr.write(`nodemesh-dns: ${error instanceof Error ? error.message : String(error)}\n`);
    return 2;
  }
  logger.info('api server', { source: kube.source, server: kube.server, command });
  if (command === 'run') return run(config, kube.config, logger);
  const api = kubeApi(kube.config);
  if (command === 'prepare') {
    if (config.clusterDns === 'none') {
      logger.info('--cluster-dns none: nothing to prepare');
      return 0;
    }
    const outcome = await prepareClusterDns(api, {
      ...config,
      mode: config.clusterDns,
      domain: config.meshDomain,
    });
    if (outcome.present) {
      logger.info('the cluster DNS forwards the mesh zone', { domain: config.meshDomain });
      return 0;
    }
    logger.error('could not point the cluster DNS at the mesh DNS server', {
      problems: formatFieldErrors(outcome.problems),
      conflicts: outcome.conflicts,
    });
    return 1;
  }
  // cleanup: every part is tried, whatever happens to the others.
  let failed = false;
  try {
    const outcome = await cleanupClusterDns(api, config.meshDomain);
    if (outcome.present) {
      failed = true;
      logger.error('could not remove every trace of the mesh zone from the cluster DNS', {
        problems: formatFieldErrors(outcome.problems),
        conflicts: outcome.conflicts,
      });
    } else {
      logger.info('the cluster DNS no longer forwards the mesh zone');
    }
  } catch (error) {
    failed = true;
    logger.error('could not clean the cluster DNS', { error });
  }
  try {
    const removed = await removeAllShadows(api, config.meshNamespace);
    logger.info('shadow Services removed', { count: removed.length });
  } catch (error) {
    failed = true;
    logger.error('could not remove the shadow Services', { error });
  }
  try {
    // Left behind, a strict policy would admit its pods' traffic only from node-proxies that are gone.
    const removed = await removeAllStrictPolicies(api);
    logger.info('strict-mode NetworkPolicies removed', { count: removed.length });
  } catch (error) {
    failed = true;
    logger.error('could not remove the strict-mode NetworkPolicies', { error });
  }
  return failed ? 1 : 0;
}

async function run(
  config: ControllerConfig,
  kubeConfig: KubeConnection,
  logger: ReturnType<typeof createLogger>,
): Promise<number> {
  const controller = await startDnsController({ ...config, kubeConfig, logger });
  return new Promise<number>((resolve) => {
    const shutdown = (signal: string) => {
      logger.info('shutting down', { signal });
      controller.stop().then(
        () => resolve(0),
        (error: unknown) => {
          logger.error('shutdown failed', { error });
          resolve(1);
        },
      );
    };
    process.once('SIGTERM', () => shutdown('SIGTERM'));
    process.once('SIGINT', () => shutdown('SIGINT'));
  });
}

main().then(
  (code) => {
    process.exitCode = code;
    // Anything still open (a lingering keep-alive socket) must not keep a finished command alive.
    setTimeout(() => process.exit(code), 1000).unref();
  },
  (error: unknown) => {
    process.stderr.write(`nodemesh-dns: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
