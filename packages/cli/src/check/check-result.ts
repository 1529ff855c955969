/** One line of `nodemesh check`: what was checked, how it went, and what to do about it. */
export type CheckStatus = 'ok' | 'warn' | 'fail';

export interface CheckResult {
  /** The heading it is printed under ("Control plane", "Data plane", ...). */
  readonly group: string;
  readonly status: CheckStatus;
  readonly title: string;
  readonly detail?: string;
  /** What to run or change; for warn and fail. */
  readonly fix?: string;
}

export interface CheckSummary {
  readonly passed: number;
  readonly warnings: number;
  readonly failed: number;
}

export function summarize(results: readonly CheckResult[]): CheckSummary {
  return {
    passed: results.filter((r) => r.status === 'ok').length,
    warnings: results.filter((r) => r.status === 'warn').length,
    failed: results.filter((r) => r.status === 'fail').length,
  };
}

export const ok = (group: string, title: string, detail?: string): CheckResult =>
  detail === undefined ? { group, status: 'ok', title } : { group, status: 'ok', title, detail };

export const problem = (
  status: 'warn' | 'fail',
  group: string,
  title: string,
  fix: string,
  detail?: string,
): CheckResult =>
  detail === undefined ? { group, status, title, fix } : { group, status, title, fix, detail };
