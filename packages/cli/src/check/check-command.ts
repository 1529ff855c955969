/** `nodemesh check [--pre]`. */
import type { CommandContext } from '../context.js';
import { installObjects } from '../install/render-install.js';
import { EXIT_FAILED, EXIT_OK, type ExitCode } from '../output/exit-codes.js';
import { type OutputFormat, renderData } from '../output/format.js';
import { colorsOf } from '../output/terminal.js';
import { type CheckResult, summarize } from './check-result.js';
import { gatherMesh } from './gather.js';
import { meshChecks } from './mesh-checks.js';
import { gatherPre, preChecks } from './pre-checks.js';

export interface CheckOptions {
  readonly pre: boolean;
  readonly output: OutputFormat;
  readonly deployDir?: string | undefined;
}

export async function runCheck(ctx: CommandContext, options: CheckOptions): Promise<ExitCode> {
  const cluster = ctx.cluster();
  const results = options.pre
    ? preChecks(
        await gatherPre(
          cluster,
          installObjects({ overlays: [], ...(options.deployDir ? { deployDir: options.deployDir } : {}) }),
          ctx.options.meshNamespace,
        ),
      )
    : meshChecks(await gatherMesh(cluster, ctx.options.meshNamespace));
  const summary = summarize(results);
  if (options.output === 'json' || options.output === 'yaml') {
    ctx.terminal.out(renderData({ results, summary }, options.output));
  } else {
    ctx.terminal.out(renderResults(results, colorsOf(ctx.terminal)));
  }
  return summary.failed > 0 ? EXIT_FAILED : EXIT_OK;
}

export function renderResults(results: readonly CheckResult[], c: ReturnType<typeof colorsOf>): string {
  const lines: string[] = [];
  let group: string | undefined;
  for (const result of results) {
    if (result.group !== group) {
      if (group !== undefined) lines.push('');
      lines.push(c.bold(result.group));
      group = result.group;
    }
    const mark =
      result.status === 'ok' ? c.green('✔') : result.status === 'warn' ? c.yellow('‼') : c.red('✘');
    lines.push(`  ${mark} ${result.title}`);
    if (result.detail !== undefined && result.detail !== '') {
      for (const line of result.detail.split('\n')) lines.push(`      ${c.dim(line)}`);
    }
    if (result.fix !== undefined) lines.push(`      fix: ${result.fix}`);
  }
  const s = summarize(results);
  const status = s.failed > 0 ? c.red('FAILED') : c.green('OK');
  lines.push(
    '',
    `Status: ${status}: ${s.passed} passed, ${s.warnings} warning${s.warnings === 1 ? '' : 's'}, ${s.failed} failed`,
  );
  return `${lines.join('\n')}\n`;
}
