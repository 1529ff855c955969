/**
 * Entry point of the multi-node harness suite. The suites (`*.netns.ts`) must run in a network namespace of
 * their own, which a vitest worker cannot enter by itself; so this test starts a second vitest inside
 * `unshare --net` on vitest.netns.config.ts and checks, from outside, that the run left nothing behind.
 * Skipped with the reason when the machine lacks root or a tool.
 */
import { existsSync, readlinkSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  harnessSkipReason,
  isAlive,
  leftoversOfInnerRun,
  readInnerRunCounts,
  removeStaleRuns,
  runIsolated,
  runPrefix,
} from '../harness/index.js';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const vitestBin = join(repoRoot, 'node_modules', 'vitest', 'vitest.mjs');
const skipReason =
  (await harnessSkipReason()) ?? (existsSync(vitestBin) ? undefined : `vitest not found at ${vitestBin}`);

if (skipReason !== undefined) process.stderr.write(`multi-node harness skipped: ${skipReason}\n`);

describe.skipIf(skipReason !== undefined)(
  `multi-node harness${skipReason ? ` (skipped: ${skipReason})` : ''}`,
  () => {
    let reportDir = '';

    beforeAll(async () => {
      await removeStaleRuns();
      reportDir = await mkdtemp(join(tmpdir(), `${runPrefix()}report-`));
    });

    afterAll(async () => {
      if (reportDir) await rm(reportDir, { recursive: true, force: true });
    });

    it('runs the isolated runner in a network namespace of its own, holding only loopback', async () => {
      const script = [
        "const fs = require('node:fs');",
        "const { execFileSync } = require('node:child_process');",
        "console.log(fs.readlinkSync('/proc/self/ns/net'));",
        "console.log(execFileSync('ip', ['-o', 'link', 'show']).toString().trim());",
      ].join(' ');
      const run = await runIsolated(['-e', script], { cwd: repoRoot, timeoutMs: 10_000 });
      expect(run.code, run.output).toBe(0);
      const [netns, ...links] = run.output.trim().split('\n');
      expect(netns).toMatch(/^net:\[\d+\]$/);
      expect(netns).not.toBe(readlinkSync('/proc/self/ns/net'));
      expect(links).toHaveLength(1);
      expect(links[0]).toMatch(/^1: lo: <LOOPBACK,UP,LOWER_UP>/);
    });

    it('kills the isolated runner at its time limit', async () => {
      const script =
        "require('node:fs').writeFileSync(process.argv[1], String(process.pid)); setInterval(() => {}, 1000);";
      const pidFile = join(reportDir, 'stuck.pid');
      const run = await runIsolated(['-e', script, pidFile], { cwd: repoRoot, timeoutMs: 1_500 });
      expect(run.timedOut).toBe(true);
      const pid = Number(await readFile(pidFile, 'utf8'));
      await rm(pidFile);
      expect(isAlive(pid)).toBe(false);
    });

    it('passes inside unshare --net and leaves no namespace, link, process or file behind', async ({
      task,
    }) => {
      const run = await runIsolated(
        [vitestBin, 'run', '--config', 'e2e/harness-tests/vitest.netns.config.ts'],
        {
          cwd: repoRoot,
          timeoutMs: 100_000,
          env: { NMT_REPORT_DIR: reportDir },
        },
      );
      const tail = run.output.split('\n').slice(-80).join('\n');
      expect(run.timedOut, `the isolated runner timed out:\n${tail}`).toBe(false);
      expect(run.code, `the isolated runner failed:\n${tail}`).toBe(0);

      // The inner run's own count, so a run that tested nothing cannot pass here.
      const results = await readInnerRunCounts(reportDir);
      task.meta.nestedRun = {
        passed: results.numPassedTests,
        failed: results.numTotalTests - results.numPassedTests,
      };
      expect(results.numTotalTests, tail).toBeGreaterThan(0);
      expect(results.numPassedTests, tail).toBe(results.numTotalTests);
      process.stdout.write(
        `isolated runner: ${results.numPassedTests} of ${results.numTotalTests} tests passed\n`,
      );

      const leftovers = await leftoversOfInnerRun(reportDir);
      expect(leftovers.length, `no suite reported what it made:\n${tail}`).toBeGreaterThan(0);
      for (const found of leftovers) {
        expect(found).toEqual({ namespaces: [], links: [], processes: [], files: [] });
      }
    }, 120_000);
  },
);
