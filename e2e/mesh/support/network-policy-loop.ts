/**
 * The CNI's NetworkPolicy part for the mesh suite: polls the API server's NetworkPolicies, Pods and
 * Namespaces and keeps every node's policy rules equal to what they say (as kube-proxy-loop.ts does for
 * Services). Bounded: it stops after `maxPolls` or on `stop()`.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { NetworkPolicyEnforcer } from '../../harness/index.js';
import type { ApiClient } from './api-client.js';
import { policyInputFromApi } from './network-policy-input.js';
import { listItems } from './service-rules.js';

export interface NetworkPolicyLoopOptions {
  readonly intervalMs?: number;
  /** Polls before the loop gives up on its own (default: 20 minutes' worth). */
  readonly maxPolls?: number;
}

export class NetworkPolicyLoop {
  private polls = 0;
  private lastInput = '';
  private stopped = false;
  private running: Promise<void> | undefined;
  /** The last error, and what the last input could not express: for a failing test's report. */
  lastError: string | undefined;
  problems: readonly string[] = [];

  constructor(
    private readonly api: ApiClient,
    private readonly enforcer: NetworkPolicyEnforcer,
    private readonly options: NetworkPolicyLoopOptions = {},
  ) {}

  start(): void {
    this.running ??= this.loop();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.running;
  }

  /** Resolves once a poll that started after this call has been applied; rejects after `timeoutMs`. */
  async settle(timeoutMs = 10_000): Promise<void> {
    const target = this.polls + 2;
    const deadline = Date.now() + timeoutMs;
    while (this.polls < target) {
      if (this.stopped) throw new Error('the NetworkPolicy loop has stopped');
      if (Date.now() > deadline)
        throw new Error(`NetworkPolicy loop did not sync within ${timeoutMs} ms: ${this.lastError ?? ''}`);
      await sleep(25);
    }
  }

  private async loop(): Promise<void> {
    const interval = this.options.intervalMs ?? 200;
    const maxPolls = this.options.maxPolls ?? Math.ceil(1_200_000 / interval);
    for (let i = 0; i < maxPolls && !this.stopped; i += 1) {
      try {
        await this.pollOnce();
        this.polls += 1;
      } catch (error) {
        this.lastError = error instanceof Error ? error.message : String(error);
      }
      await sleep(interval);
    }
  }

  private async pollOnce(): Promise<void> {
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
