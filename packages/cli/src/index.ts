/** @nodemesh/cli: `nodemesh`, the operator's command line. Exported for e2e tests and root scripts only. */
export { type CheckResult, type CheckStatus, summarize } from './check/check-result.js';
export type { ManifestObject } from './install/kustomize.js';
export { objectKey } from './install/kustomize.js';
export { collectionPath, objectPath } from './install/object-paths.js';
export { installObjects, type Overlay, renderInstall } from './install/render-install.js';
export {
  CliError,
  EXIT_CLUSTER,
  EXIT_FAILED,
  EXIT_OK,
  EXIT_USAGE,
  type ExitCode,
} from './output/exit-codes.js';
export type { Terminal } from './output/terminal.js';
export { type RunOptions, runCli } from './program.js';
export { COMMAND_PERMISSIONS, type Permission, renderPermissions } from './rbac/command-permissions.js';
export { statQueries } from './stat/prometheus.js';
