/**
 * The CNI's NetworkPolicy part for the mesh suite: polls the API server's NetworkPolicies, Pods and
 * Namespaces and keeps every node's policy rules equal to what they say (polling-loop.ts).
 */
import type { NetworkPolicyEnforcer } from '../../harness/index.js';
import type { ApiClient } from './api-client.js';
import { policyInputFromApi } from './network-policy-input.js';
import { PollingLoop, type PollingLoopOptions } from './polling-loop.js';
import { listItems } from './service-rules.js';

export type NetworkPolicyLoopOptions = PollingLoopOptions;

export class NetworkPolicyLoop extends PollingLoop {
  private lastInput = '';
  /** What the last input could not express: for a failing test's report. */
  problems: readonly string[] = [];

  constructor(
    private readonly api: ApiClient,
    private readonly enforcer: NetworkPolicyEnforcer,
    options: NetworkPolicyLoopOptions = {},
  ) {
    super('NetworkPolicy', options);
  }

  protected async pollOnce(): Promise<void> {
    const [policies, pods, namespaces] = await Promise.all([
      this.api.get('/apis/networking.k8s.io/v1/networkpolicies'),
      this.api.get('/api/v1/pods'),
      this.api.get('/api/v1/namespaces'),
    ]);
    // While the API server is down the rules stay as they were, as a CNI's do.
    if (policies.status !== 200 || pods.status !== 200 || namespaces.status !== 200) {
      throw new Error(
        `cannot list: networkpolicies ${policies.status}, pods ${pods.status}, namespaces ${namespaces.status}`,
      );
    }
    const input = policyInputFromApi(
      listItems(policies.body),
      listItems(pods.body),
      listItems(namespaces.body),
    );
    this.problems = input.problems;
    const text = JSON.stringify([input.policies, input.pods, [...(input.namespaceLabels ?? [])]]);
    if (text === this.lastInput) return;
    await this.enforcer.replace(input);
    this.lastInput = text;
  }
}
