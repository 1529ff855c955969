/**
 * The mesh's components as the suite runs them: the built binaries (`pnpm build`), started with the Node
 * that runs the tests. The suite tests what ships, not the sources.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../../..', import.meta.url));

const bin = (pkg: string) => fileURLToPath(new URL(`../../../packages/${pkg}/dist/bin.js`, import.meta.url));

export const BINARIES = {
  apiserver: bin('apiserver'),
  dnsController: bin('dns-controller'),
  nodeProxy: bin('node-proxy'),
} as const;

/** The SMI CRDs the API server must serve before TrafficSplits can be applied. */
export const SMI_CRDS = fileURLToPath(new URL('../../../deploy/crds/smi-crds.yaml', import.meta.url));

/** Why the mesh suite cannot run (a binary not built), or undefined. */
export function missingBinariesReason(): string | undefined {
  const missing = Object.values(BINARIES).filter((file) => !existsSync(file));
  if (missing.length === 0) return undefined;
  return `the mesh suite runs the built components; run \`pnpm build\` first (missing ${missing.join(', ')})`;
}

/**
 * Whether the node-proxy carries the policy chain (access control, retries, breaker, rate limit), which lands
 * from a branch of its own: the scenarios that need it are skipped, saying so, until it does. Both the source
 * and its build must be there (a dist/ file left from another checkout does not count).
 */
export function policyChainBuilt(): boolean {
  return ['src/policy/access-policy.ts', 'dist/policy/access-policy.js'].every((file) =>
    existsSync(fileURLToPath(new URL(`../../../packages/node-proxy/${file}`, import.meta.url))),
  );
}
