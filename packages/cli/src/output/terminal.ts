/**
 * Where a command writes, and whether it may use colour: only on a terminal, never with NO_COLOR or
 * TERM=dumb, always with FORCE_COLOR (https://no-color.org). Injected, so tests run commands in-process.
 */
import { createColors } from 'picocolors';

export interface Terminal {
  out(text: string): void;
  err(text: string): void;
  readonly color: boolean;
}

export type Colors = ReturnType<typeof createColors>;

export function colorsOf(terminal: Terminal): Colors {
  return createColors(terminal.color);
}

/** Whether a stream may get colour, from the stream and the environment. Pure. */
export function wantsColor(
  isTTY: boolean | undefined,
  env: Readonly<Record<string, string | undefined>>,
): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '' && env.FORCE_COLOR !== '0') return true;
  return isTTY === true && env.TERM !== 'dumb';
}

export function processTerminal(): Terminal {
  return {
    out: (text) => process.stdout.write(text),
    err: (text) => process.stderr.write(text),
    color: wantsColor(process.stdout.isTTY, process.env),
  };
}
