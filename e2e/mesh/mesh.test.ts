/**
 * Entry point of the mesh suite: starts a second vitest inside `unshare --net` on vitest.mesh.config.ts (the
 * `*.meshns.ts` suites run the real mesh on the multi-node harness) and checks from outside that the run
 * passed every test it counted and left nothing behind. Skipped with the reason when the machine lacks root
 * or a tool, or the components are not built.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  harnessSkipReason,
  leftoversOfInnerRun,
  readInnerRunCounts,
  removeStaleRuns,
  runIsolated,
  runPrefix,
} from '../harness/index.js';
import { missingBinariesReason, REPO_ROOT } from './support/binaries.js';

const vitestBin = join(REPO_ROOT, 'node_modules', 'vitest', 'vitest.mjs');
const skipReason =
  (await harnessSkipReason()) ??
  missingBinariesReason() ??
  (existsSync(vitestBin) ? undefined : `vitest not found at ${vitestBin}`);

if (skipReason !== undefined) process.stderr.write(`mesh suite skipped: ${skipReason}\n`);

/** The whole inner run may take this long before it is killed (a few minutes expected). */
const INNER_LIMIT_MS = 540_000;

describe.skipIf(skipReason !== undefined)(
  `the mesh suite${skipReason ? ` (skipped: ${skipReason})` : ''}`,
  () => {
    let reportDir = '';

    beforeAll(async () => {
      await removeStaleRuns();
      reportDir = await mkdtemp(join(tmpdir(), `${runPrefix()}mesh-report-`));
    });

    afterAll(async () => {
      if (reportDir) await rm(reportDir, { recursive: true, force: true });
    });

    it(
      'runs the real mesh inside unshare --net and leaves nothing behind',
      async ({ task }) => {
        const started = Date.now();
        const run = await runIsolated([vitestBin, 'run', '--config', 'e2e/mesh/vitest.mesh.config.ts'], {
          cwd: REPO_ROOT,
          timeoutMs: INNER_LIMIT_MS,
          env: { NMT_REPORT_DIR: reportDir },
        });
        const tail = run.output.split('\n').slice(-150).join('\n');
        expect(run.timedOut, `the isolated runner timed out:\n${tail}`).toBe(false);
        expect(run.code, `the isolated runner failed:\n${tail}`).toBe(0);
        const results = await readInnerRunCounts(reportDir);
        const skipped = results.numPendingTests + results.numTodoTests;
        // The inner run's own counts go into the final summary line (scripts/summary-reporter.ts).
        task.meta.nestedRun = {
          passed: results.numPassedTests,
          failed: results.numTotalTests - results.numPassedTests - skipped,
        };
        expect(results.numPassedTests, tail).toBeGreaterThan(0);
        expect(results.numPassedTests + results.numPendingTests + results.numTodoTests, tail).toBe(
          results.numTotalTests,
        );
        process.stdout.write(
          `mesh suite: ${results.numPassedTests} passed, ${skipped} skipped, of ${results.numTotalTests}, in ${Math.round((Date.now() - started) / 1000)} s\n`,
        );
        const leftovers = await leftoversOfInnerRun(reportDir);
        expect(leftovers.length, `no suite reported what it made:\n${tail}`).toBeGreaterThan(0);
        for (const found of leftovers) {
          expect(found).toEqual({ namespaces: [], links: [], processes: [], files: [] });
        }
      },
      INNER_LIMIT_MS + 30_000,
    );
  },
);
