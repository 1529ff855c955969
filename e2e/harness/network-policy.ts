/**
 * The CNI's NetworkPolicy part on every node: on each change, replaces the `mangle` table of every node
 * namespace with `iptables-restore` (one transaction per node; kube-proxy's nat and filter tables are left
 * alone). The rules come from the pure `renderNodePolicyRules`.
 */
import { describeFailure } from './command.js';
import type { ProxiedNode } from './kube-proxy.js';
import { runIn } from './netns.js';
import { type NodePolicyInput, renderNodePolicyRules } from './network-policy-rules.js';

export class NetworkPolicyEnforcer {
  private input: NodePolicyInput = { policies: [], pods: [] };
  /** Syncs run one after another, so an older rule set never lands after a newer one. */
  private queue: Promise<void> = Promise.resolve();

  constructor(private readonly nodes: readonly ProxiedNode[]) {}

  /** Replaces the policies and pods in force and applies the rules on every node. */
  replace(input: NodePolicyInput): Promise<void> {
    this.input = input;
    const run = this.queue.then(() => this.writeAll());
    this.queue = run.catch(() => {});
    return run;
  }

  /** The rules a node gets now, as iptables-restore reads them: for a failed test's report. */
  rulesOf(node: string): string {
    return renderNodePolicyRules(node, this.input);
  }

  private async writeAll(): Promise<void> {
    await Promise.all(
      this.nodes.map(async (node) => {
        const result = await runIn(node.ns, 'iptables-restore', [], {
          input: renderNodePolicyRules(node.name, this.input),
        });
        if (result.code !== 0)
          throw new Error(`NetworkPolicy rules on ${node.name}: ${describeFailure(result)}`);
      }),
    );
  }
}
