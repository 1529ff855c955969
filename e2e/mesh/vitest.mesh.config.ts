/**
 * The vitest configuration of the runner that mesh.test.ts starts inside `unshare --net`: the root
 * configuration with only the mesh suites (`e2e/mesh/*.meshns.ts`). They have a suffix of their own, not
 * the harness's `.netns.ts`, because they need the built binaries and minutes, not seconds.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';
import rootConfig from '../../vitest.config.js';

const reportDir = process.env.NMT_REPORT_DIR;

export default defineConfig({
  ...rootConfig,
  root: fileURLToPath(new URL('../..', import.meta.url)),
  test: {
    ...rootConfig.test,
    include: ['e2e/mesh/**/*.meshns.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    fileParallelism: false,
    reporters: reportDir
      ? ['default', ['json', { outputFile: join(reportDir, 'results.json') }]]
      : ['default'],
  },
});
