/**
 * kube-proxy's part on every node: keeps the cluster's Service ports and, on each change, replaces the nat
 * table of every node namespace with `iptables-restore` (one transaction per node). The rules themselves
 * come from the pure `renderNodeRules`.
 */
import { describeFailure } from './command.js';
import {
  checkServiceRule,
  type Protocol,
  renderNodeRules,
  type ServiceRule,
  serviceKey,
} from './kube-proxy-rules.js';
import { runIn } from './netns.js';

/** What KubeProxy needs of a node. */
export interface ProxiedNode {
  readonly name: string;
  readonly ns: string;
}

export class KubeProxy {
  private readonly rules = new Map<string, ServiceRule>();
  /** Syncs run one after another, so an older rule set never lands after a newer one. */
  private queue: Promise<void> = Promise.resolve();

  constructor(private readonly nodes: readonly ProxiedNode[]) {}

  /**
   * Adds a Service port, or replaces the one with the same ClusterIP, port and protocol, and applies the
   * rules on every node. Throws, changing nothing, when the rule is malformed.
   */
  async addServiceRule(rule: ServiceRule): Promise<void> {
    const errors = checkServiceRule(rule);
    if (errors.length > 0) throw new Error(`bad service rule: ${errors.join('; ')}`);
    this.rules.set(serviceKey(rule), rule);
    await this.sync();
  }

  /** Removes a Service port (a no-op for one never added) and applies the rules on every node. */
  async removeServiceRule(clusterIP: string, port: number, protocol: Protocol): Promise<void> {
    this.rules.delete(serviceKey({ clusterIP, port, protocol }));
    await this.sync();
  }

  /**
   * Replaces every Service port at once and applies the rules in one sync: for a loop that mirrors the API
   * server's Services. Throws, changing nothing, when any rule is malformed.
   */
  async replaceServiceRules(rules: readonly ServiceRule[]): Promise<void> {
    const errors = rules.flatMap((rule) => checkServiceRule(rule));
    if (errors.length > 0) throw new Error(`bad service rules: ${errors.join('; ')}`);
    this.rules.clear();
    for (const rule of rules) this.rules.set(serviceKey(rule), rule);
    await this.sync();
  }

  /** The Service ports in force. */
  serviceRules(): ServiceRule[] {
    return [...this.rules.values()];
  }

  /** Writes the current rules to every node. */
  sync(): Promise<void> {
    const run = this.queue.then(() => this.writeAll());
    this.queue = run.catch(() => {});
    return run;
  }

  private async writeAll(): Promise<void> {
    const rules = this.serviceRules();
    await Promise.all(
      this.nodes.map(async (node) => {
        const result = await runIn(node.ns, 'iptables-restore', [], {
          input: renderNodeRules(node.name, rules),
        });
        if (result.code !== 0)
          throw new Error(`kube-proxy rules on ${node.name}: ${describeFailure(result)}`);
      }),
    );
  }
}
