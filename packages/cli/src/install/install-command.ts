/** `nodemesh install [--access-control] [--kube-dns]`: the manifests on stdout, for `kubectl apply -f -`. */
import type { CommandContext } from '../context.js';
import { EXIT_OK, type ExitCode } from '../output/exit-codes.js';
import { installObjects, type Overlay, renderInstall } from './render-install.js';

export interface InstallCommandOptions {
  readonly overlays: readonly Overlay[];
  readonly deployDir?: string | undefined;
}

export function runInstall(ctx: CommandContext, options: InstallCommandOptions): ExitCode {
  const objects = installObjects({
    overlays: options.overlays,
    ...(options.deployDir ? { deployDir: options.deployDir } : {}),
  });
  const flags = options.overlays.map((o) => ` --${o}`).join('');
  ctx.terminal.out(
    renderInstall(
      objects,
      `Nodemesh, rendered by \`nodemesh install${flags}\` from deploy/; apply with kubectl apply -f -`,
    ),
  );
  return EXIT_OK;
}
