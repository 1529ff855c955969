/**
 * A Vitest reporter that ends the run with one plain line, `N passed, N failed, N skipped`, so that CI (and a
 * person) can tell a run that tested nothing from a green one. A file that fails to load, and an unhandled
 * error, each count as one failure, and each failure is named on a `failed: ` line before the summary. A test that
 * runs a nested test run (see `nestedRun`) adds that run's counts.
 */
import { relative } from 'node:path';
import type { Reporter, SerializedError, TestModule } from 'vitest/node';

declare module 'vitest' {
  interface TaskMeta {
    /**
     * Set by a test that runs a whole nested test run (the isolated network-namespace runner): its own counts,
     * added to the summary so the line counts every test that ran.
     */
    nestedRun?: { readonly passed: number; readonly failed: number };
  }
}

export default class SummaryReporter implements Reporter {
  onTestRunEnd(
    testModules: ReadonlyArray<TestModule>,
    unhandledErrors: ReadonlyArray<SerializedError>,
  ): void {
    let passed = 0;
    let failed = unhandledErrors.length;
    let skipped = 0;
    const failures: string[] = unhandledErrors.map((error) => `unhandled error: ${firstLine(error.message)}`);
    for (const testModule of testModules) {
      const file = relative(process.cwd(), testModule.moduleId);
      let tests = 0;
      for (const test of testModule.children.allTests()) {
        tests += 1;
        const state = test.result().state;
        const nested = test.meta().nestedRun;
        if (nested !== undefined) {
          passed += nested.passed;
          failed += nested.failed;
        }
        if (state === 'passed') passed += 1;
        else if (state === 'failed') {
          failed += 1;
          const reason = test.result().errors?.[0]?.message ?? '';
          failures.push(`${file} > ${test.fullName}: ${firstLine(reason)}`);
        } else skipped += 1;
      }
      if (tests === 0 && testModule.state() === 'failed') {
        failed += 1;
        failures.push(`${file}: ${firstLine(testModule.errors()[0]?.message ?? 'failed to load')}`);
      }
    }
    // One line per failure, so the end of a long CI log says which tests failed, not only how many.
    for (const failure of failures) process.stdout.write(`\nfailed: ${failure}`);
    process.stdout.write(`\n${passed} passed, ${failed} failed, ${skipped} skipped\n`);
  }
}

function firstLine(text: string): string {
  return (text.split('\n', 1)[0] ?? '').slice(0, 200);
}
