/** What every command gets: where to write, the cluster (connected on first use), and a clock. */
import { type Cluster, type ClusterOptions, connectCluster } from './kube/cluster.js';
import type { Terminal } from './output/terminal.js';

export interface GlobalOptions extends ClusterOptions {
  readonly namespace?: string | undefined;
  readonly meshNamespace: string;
}

export interface CommandContext {
  readonly terminal: Terminal;
  readonly options: GlobalOptions;
  cluster(): Cluster;
  /** Waits `ms`; `stat` waits its window with it (tests inject one that sends traffic). */
  sleep(ms: number): Promise<void>;
}

export function createContext(
  terminal: Terminal,
  options: GlobalOptions,
  sleep?: (ms: number) => Promise<void>,
): CommandContext {
  let cluster: Cluster | undefined;
  return {
    terminal,
    options,
    cluster() {
      cluster ??= connectCluster(options);
      return cluster;
    },
    sleep: sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms))),
  };
}

/** `-n`, else the kubeconfig context's namespace, else `default`. */
export function namespaceOf(ctx: CommandContext): string {
  return ctx.options.namespace ?? ctx.cluster().defaultNamespace;
}
