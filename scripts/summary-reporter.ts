/**
 * A Vitest reporter that ends the run with one plain line, `N passed, N failed, N skipped`, so that CI (and a
 * person) can tell a run that tested nothing from a green one. A file that fails to load, and an unhandled
 * error, each count as one failure. A test that runs a nested test run (see `nestedRun`) adds that run's counts.
 */
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
    for (const testModule of testModules) {
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
        else if (state === 'failed') failed += 1;
        else skipped += 1;
      }
      if (tests === 0 && testModule.state() === 'failed') failed += 1;
    }
    process.stdout.write(`\n${passed} passed, ${failed} failed, ${skipped} skipped\n`);
  }
}
