/**
 * The command line: commander parses, each command's run function does the work, and every error is mapped
 * to an exit code here, once. `runCli` runs in-process (tests call it with their own Terminal and sleep).
 */
import { parseDuration } from '@nodemesh/smi-types';
import { Command, CommanderError, Option } from 'commander';
import { runCheck } from './check/check-command.js';
import { type CommandContext, createContext } from './context.js';
import { runInstall } from './install/install-command.js';
import type { Overlay } from './install/render-install.js';
import { runUninstall } from './install/uninstall-command.js';
import { ApiAnswerError } from './kube/cluster.js';
import {
  CliError,
  EXIT_CLUSTER,
  EXIT_FAILED,
  EXIT_OK,
  EXIT_USAGE,
  type ExitCode,
} from './output/exit-codes.js';
import { parseOutput } from './output/format.js';
import type { Terminal } from './output/terminal.js';
import { runConfig } from './snapshot/config-command.js';
import { parseStatKind, runStat } from './stat/stat-command.js';
import { clientVersion, runVersion } from './version/version-command.js';

export interface RunOptions {
  readonly sleep?: (ms: number) => Promise<void>;
}

const EXIT_CODES = `
Exit codes:
  0  success
  1  the command ran and found a failure (a check failed, the node or Service named does not exist)
  2  the command line is wrong
  3  the cluster could not be used (no kubeconfig, unreachable, unauthorised, forbidden)`;

function port(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > 65535)
    throw new CliError(
      `--debug-port must be a port from 1 to 65535, got ${JSON.stringify(value)}`,
      EXIT_USAGE,
    );
  return n;
}

export function buildProgram(
  terminal: Terminal,
  run: (work: (ctx: CommandContext) => Promise<ExitCode> | ExitCode) => Promise<void>,
  binName: string,
): Command {
  const program = new Command(binName)
    .description(
      "Operate Nodemesh, the service mesh with one proxy per node: check it, watch its traffic, read a proxy's routes, install it.",
    )
    .version(clientVersion(), '--version', 'print the client version')
    .addOption(
      new Option('--kubeconfig <file>', 'kubeconfig file (default: $KUBECONFIG, then ~/.kube/config)'),
    )
    .addOption(new Option('--context <name>', 'kubeconfig context to use (default: the current one)'))
    .addOption(
      new Option('-s, --server <url>', 'API server URL, no credentials (local mode: http://127.0.0.1:16443)'),
    )
    .addOption(
      new Option(
        '-n, --namespace <namespace>',
        "namespace of the Services or callers (default: the context's)",
      ),
    )
    .addOption(new Option('--mesh-namespace <namespace>', 'namespace Nodemesh runs in').default('nodemesh'))
    .showHelpAfterError('(nodemesh --help shows the commands)')
    .configureOutput({ writeOut: (t) => terminal.out(t), writeErr: (t) => terminal.err(t) })
    .exitOverride()
    .addHelpText(
      'after',
      `
Examples:
  ${binName} check --pre                     can this cluster take Nodemesh?
  ${binName} install | kubectl apply -f -    install it
  ${binName} check                           is every piece healthy?
  ${binName} stat svc -n shop                success rate, rps, latency per Service
  ${binName} config node-a --service shop/orders
${EXIT_CODES}

As a kubectl plugin (kubectl-nodemesh on PATH): kubectl nodemesh check. Docs: docs/cli.md`,
    );

  const output = (allowed: string) => new Option('-o, --output <format>', `output format: ${allowed}`);

  program
    .command('check')
    .description(
      'check that Nodemesh is healthy (or, with --pre, that the cluster can take it); exit 1 when anything fails',
    )
    .option('--pre', 'before install: Kubernetes version, permissions, cluster DNS, other meshes')
    .option('--deploy-dir <dir>', 'the deploy/ sources (default: those of this checkout)')
    .addOption(output('json, yaml'))
    .addHelpText(
      'after',
      `
Examples:
  ${binName} check --pre
  ${binName} check
  ${binName} check -o json | jq '.results[] | select(.status == "fail")'`,
    )
    .action(async (opts: { pre?: boolean; output?: string; deployDir?: string }) =>
      run((ctx) =>
        runCheck(ctx, {
          pre: opts.pre === true,
          output: parseOutput(opts.output, ['json', 'yaml']),
          deployDir: opts.deployDir,
        }),
      ),
    );

  program
    .command('stat')
    .description(
      'traffic per Service, namespace or calling workload: success rate, requests per second, latency, TCP',
    )
    .argument('<kind>', 'svc, ns or caller')
    .argument('[name]', 'only this Service, namespace or caller')
    .option('-A, --all-namespaces', 'every namespace')
    .option('--window <duration>', 'how long to measure (0: since each proxy started)', '10s')
    .option('--prometheus <url>', 'ask this Prometheus instead of the proxies (window as PromQL range)')
    .addOption(output('wide, json, yaml'))
    .addHelpText(
      'after',
      `
Without --prometheus, every node-proxy's /metrics is read twice through the API server's pod proxy, the
window apart; the rates are over that window.

Examples:
  ${binName} stat svc -n default
  ${binName} stat svc bookstore -n default --window 30s -o wide
  ${binName} stat ns
  ${binName} stat caller -A --prometheus http://prometheus.monitoring:9090 --window 5m`,
    )
    .action(
      async (
        kind: string,
        name: string | undefined,
        opts: { allNamespaces?: boolean; window: string; prometheus?: string; output?: string },
      ) =>
        run((ctx) =>
          runStat(ctx, {
            kind: parseStatKind(kind),
            name,
            allNamespaces: opts.allNamespaces === true,
            window: opts.window,
            prometheus: opts.prometheus,
            output: parseOutput(opts.output, ['wide', 'json', 'yaml']),
          }),
        ),
    );

  program
    .command('config')
    .description(
      'the routing snapshot of the node-proxy on NODE: routes, split weights, endpoints, grants, problems',
    )
    .argument('<node>', 'the node whose proxy to read')
    .option('--service <service>', 'only what concerns this Service (NAME in -n, or NAMESPACE/NAME)')
    .option(
      '--debug-port <port>',
      "the proxy's debug listener (default: its container port named debug, else 9091)",
    )
    .addOption(output('json, yaml'))
    .addHelpText(
      'after',
      `
The snapshot is read through a port-forward by the API server (RBAC: get and create on pods/portforward),
never over the node's network.

Examples:
  ${binName} config node-a
  ${binName} config node-a --service bookstore -n default
  ${binName} config node-a -o json`,
    )
    .action(async (node: string, opts: { service?: string; debugPort?: string; output?: string }) =>
      run((ctx) =>
        runConfig(ctx, {
          node,
          service: opts.service,
          debugPort: opts.debugPort === undefined ? undefined : port(opts.debugPort),
          output: parseOutput(opts.output, ['json', 'yaml']),
        }),
      ),
    );

  program
    .command('install')
    .description('print the install manifests, rendered from deploy/ with no network, for kubectl apply -f -')
    .option('--access-control', 'SMI access control on: only what TrafficTargets allow passes')
    .option('--kube-dns', 'the cluster DNS is kube-dns, not CoreDNS')
    .option('--deploy-dir <dir>', 'the deploy/ sources (default: those of this checkout)')
    .addHelpText(
      'after',
      `
Examples:
  ${binName} install | kubectl apply -f -
  ${binName} install --access-control --kube-dns > nodemesh.yaml`,
    )
    .action(async (opts: { accessControl?: boolean; kubeDns?: boolean; deployDir?: string }) => {
      const overlays: Overlay[] = [];
      if (opts.accessControl) overlays.push('access-control');
      if (opts.kubeDns) overlays.push('kube-dns');
      await run((ctx) => runInstall(ctx, { overlays, deployDir: opts.deployDir }));
    });

  program
    .command('uninstall')
    .description(
      'remove Nodemesh: the dns-controller first, then the cluster DNS block and shadow Services, then the rest',
    )
    .option('--crds', 'also delete the SMI CRDs, and with them every SMI resource of the cluster')
    .option('--dry-run', 'print what would be done, change nothing')
    .option('--timeout <duration>', 'how long to wait for the dns-controller pods to stop', '120s')
    .option('--deploy-dir <dir>', 'the deploy/ sources (default: those of this checkout)')
    .addHelpText(
      'after',
      `
Examples:
  ${binName} uninstall --dry-run
  ${binName} uninstall`,
    )
    .action(async (opts: { crds?: boolean; dryRun?: boolean; timeout: string; deployDir?: string }) =>
      run(async (ctx) => {
        const timeoutMs = parseDuration(opts.timeout);
        if (timeoutMs === undefined)
          throw new CliError(
            `--timeout must be a duration like 120s, got ${JSON.stringify(opts.timeout)}`,
            EXIT_USAGE,
          );
        return runUninstall(ctx, {
          crds: opts.crds === true,
          dryRun: opts.dryRun === true,
          timeoutMs,
          deployDir: opts.deployDir,
        });
      }),
    );

  program
    .command('version')
    .description("this client's version, the API server's, and every mesh pod's")
    .option('--client', 'only the client, without asking the cluster')
    .addOption(output('json, yaml'))
    .action(async (opts: { client?: boolean; output?: string }) =>
      run((ctx) =>
        runVersion(ctx, { client: opts.client === true, output: parseOutput(opts.output, ['json', 'yaml']) }),
      ),
    );
  return program;
}

/** Runs one command line (without `node` and the script); returns the exit code. Never throws. */
export async function runCli(
  argv: readonly string[],
  terminal: Terminal,
  runOptions: RunOptions = {},
  binName = 'nodemesh',
): Promise<ExitCode> {
  let code: ExitCode = EXIT_OK;
  let program: Command;
  const run = async (work: (ctx: CommandContext) => Promise<ExitCode> | ExitCode) => {
    const opts = program.opts<{
      kubeconfig?: string;
      context?: string;
      server?: string;
      namespace?: string;
      meshNamespace: string;
    }>();
    const ctx = createContext(
      terminal,
      {
        kubeconfig: opts.kubeconfig,
        context: opts.context,
        server: opts.server,
        namespace: opts.namespace,
        meshNamespace: opts.meshNamespace,
      },
      runOptions.sleep,
    );
    code = await work(ctx);
  };
  program = buildProgram(terminal, run, binName);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return code;
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.code === 'commander.helpDisplayed' ||
        error.code === 'commander.version' ||
        error.code === 'commander.help'
        ? EXIT_OK
        : EXIT_USAGE;
    }
    if (error instanceof CliError) {
      terminal.err(`nodemesh: ${error.message}\n`);
      return error.exitCode;
    }
    if (error instanceof ApiAnswerError) {
      terminal.err(`nodemesh: ${error.message}\n`);
      if (error.status === 401 || error.status === 403) {
        terminal.err('nodemesh: docs/cli.md lists the permissions each command needs\n');
        return EXIT_CLUSTER;
      }
      return EXIT_FAILED;
    }
    terminal.err(`nodemesh: ${error instanceof Error ? error.message : String(error)}\n`);
    return EXIT_FAILED;
  }
}
