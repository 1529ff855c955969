/**
 * The vitest configuration of the runner that multi-node.test.ts starts inside `unshare --net`: the root
 * configuration (aliases, timeouts) with only the `.netns.ts` suites under e2e/, which must not run anywhere
 * else.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';
import rootConfig from '../../vitest.config.js';

/** Set by multi-node.test.ts: where the suites report what they made, and vitest its results. */
const reportDir = process.env.NMT_REPORT_DIR;

export default defineConfig({
  ...rootConfig,
  root: fileURLToPath(new URL('../..', import.meta.url)),
  test: {
    ...rootConfig.test,
    include: ['e2e/**/*.netns.ts'],
    reporters: reportDir
      ? ['default', ['json', { outputFile: join(reportDir, 'results.json') }]]
      : ['default'],
  },
});
