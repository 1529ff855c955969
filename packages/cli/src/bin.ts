#!/usr/bin/env node
/** `nodemesh` (and `kubectl-nodemesh`, as a kubectl plugin): see `nodemesh --help` and docs/cli.md. */
import { basename } from 'node:path';
import { processTerminal } from './output/terminal.js';
import { runCli } from './program.js';

const invokedAs = basename(process.argv[1] ?? 'nodemesh').replace(/\.js$/, '');
const name = invokedAs.startsWith('kubectl-') ? 'kubectl nodemesh' : 'nodemesh';
const code = await runCli(process.argv.slice(2), processTerminal(), {}, name);
process.exitCode = code;
// A lingering keep-alive socket must not keep a finished command alive.
setTimeout(() => process.exit(code), 500).unref();
