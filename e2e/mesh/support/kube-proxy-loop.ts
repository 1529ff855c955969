/**
 * kube-proxy for the mesh suite: polls the API server's Services and EndpointSlices and keeps the nodes'
 * (and the control plane's) DNAT rules equal to what they say (polling-loop.ts).
 */
import type { KubeProxy } from '../../harness/index.js';
import type { ApiClient } from './api-client.js';
import { PollingLoop, type PollingLoopOptions } from './polling-loop.js';
import { listItems, serviceRulesFromApi } from './service-rules.js';

export type KubeProxyLoopOptions = PollingLoopOptions;

export class KubeProxyLoop extends PollingLoop {
  private lastRules = '';

  constructor(
    private readonly api: ApiClient,
    private readonly kubeProxy: KubeProxy,
    options: KubeProxyLoopOptions = {},
  ) {
    super('kube-proxy', options);
  }

  protected async pollOnce(): Promise<void> {
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
