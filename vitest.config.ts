import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const source = (pkg: string) => fileURLToPath(new URL(`./packages/${pkg}/src/index.ts`, import.meta.url));

export default defineConfig({
  resolve: {
    // Tests run against the TypeScript sources of the workspace packages, not their builds.
    alias: {
      // Subpaths first: an alias also matches the paths below its name.
      '@nodemesh/kube-runtime/logger': fileURLToPath(
        new URL('./packages/kube-runtime/src/logger.ts', import.meta.url),
      ),
      '@nodemesh/kube-runtime/metrics': fileURLToPath(
        new URL('./packages/kube-runtime/src/metrics/index.ts', import.meta.url),
      ),
      '@nodemesh/smi-types': source('smi-types'),
      '@nodemesh/kube-runtime': source('kube-runtime'),
      '@nodemesh/apiserver': source('apiserver'),
      '@nodemesh/dns-controller': source('dns-controller'),
      '@nodemesh/node-proxy': source('node-proxy'),
      '@nodemesh/local': source('local'),
      '@nodemesh/cli': source('cli'),
    },
  },
  test: {
    include: ['packages/*/src/**/*.test.ts', 'packages/*/test/**/*.test.ts', 'e2e/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    reporters: ['default', fileURLToPath(new URL('./scripts/summary-reporter.ts', import.meta.url))],
  },
});
