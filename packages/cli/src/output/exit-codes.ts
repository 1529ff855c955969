/**
 * Exit codes scripts can rely on (docs/cli.md): 0 success; 1 the command ran and found a failure (a check
 * failed, the node or Service asked for does not exist); 2 the command line is wrong; 3 the cluster could not
 * be used (no kubeconfig, unreachable, unauthorised or forbidden).
 */
export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;
export const EXIT_CLUSTER = 3;

export type ExitCode = typeof EXIT_OK | typeof EXIT_FAILED | typeof EXIT_USAGE | typeof EXIT_CLUSTER;

/** An error with the exit code it means; mapped once, in program.ts. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode,
  ) {
    super(message);
    this.name = 'CliError';
  }
}
