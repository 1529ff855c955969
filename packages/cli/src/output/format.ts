/** Output formats: `-o json|yaml` for data, tables (kubectl style, no borders) for people. */
import Table from 'cli-table3';
import { stringify } from 'yaml';
import { CliError, EXIT_USAGE } from './exit-codes.js';

export type DataFormat = 'json' | 'yaml';
export type OutputFormat = 'table' | 'wide' | DataFormat;

/** Reads `-o`; `allowed` lists what the command offers besides its default. */
export function parseOutput(value: string | undefined, allowed: readonly OutputFormat[]): OutputFormat {
  if (value === undefined) return 'table';
  const found = allowed.find((format) => format === value);
  if (found === undefined) {
    throw new CliError(`-o must be one of ${allowed.join(', ')}, got ${JSON.stringify(value)}`, EXIT_USAGE);
  }
  return found;
}

export function renderData(value: unknown, format: DataFormat): string {
  return format === 'json' ? `${JSON.stringify(value, null, 2)}\n` : stringify(value, { lineWidth: 0 });
}

const NO_BORDERS = {
  top: '',
  'top-mid': '',
  'top-left': '',
  'top-right': '',
  bottom: '',
  'bottom-mid': '',
  'bottom-left': '',
  'bottom-right': '',
  left: '',
  'left-mid': '',
  mid: '',
  'mid-mid': '',
  right: '',
  'right-mid': '',
  middle: '   ',
};

/** A table with upper-case headers and columns three spaces apart, as `kubectl get` prints. */
export function renderTable(head: readonly string[], rows: readonly (readonly string[])[]): string {
  const table = new Table({
    head: head.map((h) => h.toUpperCase()),
    chars: NO_BORDERS,
    style: { head: [], border: [], 'padding-left': 0, 'padding-right': 0 },
  });
  for (const row of rows) table.push([...row]);
  return `${table
    .toString()
    .split('\n')
    .map((line) => line.trimEnd())
    .join('\n')}\n`;
}
