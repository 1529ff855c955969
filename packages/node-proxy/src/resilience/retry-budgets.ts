/**
 * A retry budget per destination Service, kept across snapshots while it is retried at all. With `workers` > 1
 * each worker holds its share of the floor (`minPerSecond` divided); the ratio applies to its own requests.
 */
import type { RetryConfig } from '@nodemesh/smi-types';
import { KeyedRegistry } from './keyed-registry.js';
import { DEFAULT_RETRY_BUDGET, RetryBudget, type RetryBudgetConfig } from './retry-budget.js';

export class RetryBudgets {
  readonly #registry: KeyedRegistry<RetryConfig, RetryBudget>;

  constructor(config: RetryBudgetConfig = DEFAULT_RETRY_BUDGET, now?: () => number, workers = 1) {
    const share = { ...config, minPerSecond: config.minPerSecond / Math.max(1, workers) };
    // The budget does not depend on the attempts or per-try timeout: a config change keeps it.
    this.#registry = new KeyedRegistry({ same: () => true, create: () => new RetryBudget(share, now) });
  }

  get(serviceKey: string, config: RetryConfig): RetryBudget {
    return this.#registry.get(serviceKey, config);
  }

  prune(keep: (serviceKey: string) => boolean): void {
    this.#registry.prune(keep);
  }
}
