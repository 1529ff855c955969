/**
 * kube-proxy for the mesh suite: polls the API server's Services and EndpointSlices and keeps the nodes'
 * (and the control plane's) DNAT rules equal to what they say. Polling keeps it simple and the runner
 * cannot hold a watch open anyway (see ApiClient). Bounded: it stops after `maxPolls` or on `stop()`.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { KubeProxy } from '../../harness/index.js';
import type { ApiClient } from './api-client.js';
import { listItems, serviceRulesFromApi } from './service-rules.js';

export interface KubeProxyLoopOptions {
  readonly intervalMs?: number;
  /** Polls before the loop gives up on its own (default: 20 minutes' worth). */
  readonly maxPolls?: number;
}

export class KubeProxyLoop {
  /** Completed polls (a poll whose lists could not be read does not count). */
  private polls = 0;
  private lastRules = '';
  private stopped = false;
  private running: Promise<void> | undefined;
  /** The last error, for a failing test's report. */
  lastError: string | undefined;

  constructor(
    private readonly api: ApiClient,
    private readonly kubeProxy: KubeProxy,
    private readonly options: KubeProxyLoopOptions = {},
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
      if (this.stopped) throw new Error('the kube-proxy loop has stopped');
      if (Date.now() > deadline)
        throw new Error(`kube-proxy loop did not sync within ${timeoutMs} ms: ${this.lastError ?? ''}`);
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
    const [services, slices] = await Promise.all([
      this.api.get('/api/v1/services'),
      this.api.get('/apis/discovery.k8s.io/v1/endpointslices'),
    ]);
    // While the API server is down (a restart fault) the rules stay as they were, as kube-proxy's do.
    if (services.status !== 200 || slices.status !== 200) {
      throw new Error(`cannot list: services ${services.status}, endpointslices ${slices.status}`);
    }
    const rules = serviceRulesFromApi(listItems(services.body), listItems(slices.body));
    const text = JSON.stringify(rules);
    if (text === this.lastRules) return;
    await this.kubeProxy.replaceServiceRules(rules);
    this.lastRules = text;
  }
}
