#!/usr/bin/env node
import { parseCommandLine } from './cli/flags.js';
import { HELP } from './cli/help.js';
import { runProxy } from './cli/run.js';

const parsed = parseCommandLine(process.argv.slice(2), process.env);
if (!parsed.ok) {
  for (const error of parsed.errors) process.stderr.write(`nodemesh-proxy: ${error}\n`);
  process.stderr.write('try nodemesh-proxy --help\n');
  process.exitCode = 2;
} else if (parsed.command === 'help') {
  process.stdout.write(HELP);
} else {
  // Exit explicitly: the proxy is stopped, and nothing left behind may keep the process alive.
  process.exit(await runProxy(parsed.flags));
}
