/**
 * The vitest configuration of the runner that multi-node.test.ts starts inside `unshare --net`: the root
 * configuration (aliases, timeouts) with only the `*.netns.ts` suites, which must not run anywhere else.
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';
import rootConfig from '../../vitest.config.js';

export default defineConfig({
  ...rootConfig,
  root: fileURLToPath(new URL('../..', import.meta.url)),
  test: {
    ...rootConfig.test,
    include: ['e2e/harness-tests/**/*.netns.ts'],
    reporters: ['default'],
  },
});
