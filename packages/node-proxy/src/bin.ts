#!/usr/bin/env node
const HELP = `nodemesh-proxy: the Nodemesh data plane, one per node

Usage:
  nodemesh-proxy run      watch the API server and proxy mesh traffic for the pods of this node
  nodemesh-proxy --help   show this help
`;

const command = process.argv[2];
if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
  process.stdout.write(HELP);
} else {
  process.stderr.write(`nodemesh-proxy: unknown command "${command}"; try --help\n`);
  process.exitCode = 2;
}
